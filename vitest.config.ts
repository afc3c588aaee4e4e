import { defineConfig } from 'vitest/config';

// Integration files that start services but no capture (no Chromium, Xvfb, PulseAudio or capturing ffmpeg):
// queues, stores, webhooks, XMPP, speech engines fed from files. Much of their time is waiting (a receiver
// down for 30 s, a lease running out), so two of them at a time take about half as long without disturbing
// each other's timing.
const services = [
  'test/integration/asap-key-server.test.ts',
  'test/integration/brewery-protocol.test.ts',
  'test/integration/bullmq-queue.test.ts',
  'test/integration/compile-cache.test.ts',
  'test/integration/google-speech.test.ts',
  'test/integration/openai-speech.test.ts',
  'test/integration/pocketsphinx-engine.test.ts',
  'test/integration/process-stop.test.ts',
  'test/integration/s3-store.test.ts',
  'test/integration/sherpa-engine.test.ts',
  'test/integration/stored-media-probe.test.ts',
  'test/integration/utterance-stream.test.ts',
  'test/integration/vosk-speech.test.ts',
  'test/integration/webhooks-delivery.test.ts',
  'test/integration/webhooks-process.test.ts',
  'test/security/api-attacks.test.ts',
  'test/security/process-limits.test.ts',
];

// Capture files whose assertions are about timing itself, or that already run two captures at once (two
// workers): these run alone, so a neighbour's Chromium start cannot move what they measure. Timing here: the
// A/V offset, the live stream's measured fps and reconnection, 15 s to ±0.5 s at ≥ 29 fps, the audio tap's
// chunk continuity and its gaps only while muted, captions and transcript on the file's timeline (±0.35 s),
// interims ≥ 450 ms apart as the page saw them, the synthetic meeting's tiles starting together, and the
// browser's join and hang deadlines. Two of these (audio-tap, transcription) failed in a rehearsal when they
// ran next to another capture.
const captureAlone = [
  'test/integration/audio-tap.test.ts',
  'test/integration/av-sync.test.ts',
  'test/integration/capture-env.test.ts',
  'test/integration/browser-launch.test.ts',
  'test/integration/demo-meeting.test.ts',
  'test/integration/interim-subtitles.test.ts',
  'test/integration/record.test.ts',
  'test/integration/stream.test.ts',
  'test/integration/transcription.test.ts',
  'test/integration/worker-redis.test.ts',
];

// Four groups, one after the other:
// - unit: pure logic, fakes, in-memory queues; no browser, no capture, nothing timed: files run in parallel.
// - services: the files above, two at a time.
// - capture (the rest of integration and security): real Chromium, ffmpeg, Xvfb, PulseAudio with Redis, nginx,
//   s3rver, Prosody. One capture of the synthetic meeting takes about half a core, and these files spend much
//   of their time waiting (a store down for 60 s, a lease running out, a worker killed and recovered), so two
//   at a time fit a 2-core machine; what they assert (files complete, uploads and salvage, exactly-once
//   delivery, generous durations) does not depend on how busy the machine is.
// - capture-alone: the files above, one at a time, last.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'services', include: services, fileParallelism: true, maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: {
          name: 'capture',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: [...services, ...captureAlone],
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: { name: 'capture-alone', include: captureAlone, fileParallelism: false, sequence: { groupOrder: 3 } },
      },
    ],
  },
});
