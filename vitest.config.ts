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

// Three groups, one after the other:
// - unit: pure logic, fakes, in-memory queues; no browser, no capture, nothing timed: files run in parallel.
// - services: the files above, two at a time.
// - capture (and the rest of integration and security): real Chromium, ffmpeg, Xvfb, PulseAudio with Redis,
//   nginx, s3rver, Prosody; on a 2-core machine they must not run concurrently with each other, or capture
//   frame rates and A/V timing suffer, so their files run one at a time, after the other groups.
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
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: services,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
