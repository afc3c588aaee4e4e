/**
 * The capture environment as a session gets it: a capture started right after the environment is ready opens
 * its sound at once, so x11grab (opened first) has no frames to catch up and constant frame rate has nothing
 * to drop or repeat. Before the sound server kept its sink busy, the pulse input took 0.7–2 s to open and a
 * still display's 4 s capture had dozens of dropped and repeated frames. Its sink keeps an exact clock
 * (50 kHz, see SINK_RATE_HZ), also while a 48 kHz client plays.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedCapture } from '../../src/capture/capture-backend.ts';
import { NULL_SINK, SINK_RATE_HZ } from '../../src/capture/pulse.ts';
import { createX11PulseBackend } from '../../src/capture/x11-pulse-backend.ts';
import {
  buildCaptureCommand,
  buildFragmentedMp4Output,
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_VIDEO_PROFILE_720P,
  type FfmpegExit,
  startFfmpeg,
} from '../../src/ffmpeg/index.ts';
import { inputStartEpochMs } from '../../src/ffmpeg/input-start.ts';

let dir: string;
let capture: PreparedCapture;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scriba-capture-env-'));
  capture = await createX11PulseBackend().prepare(
    { width: 1280, height: 720, fps: 30, audioOffsetMs: -100 },
    dir,
    AbortSignal.timeout(30_000),
  );
});

afterAll(async () => {
  await capture?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The session's capture command on a still display for `seconds`, stopped as a session stops it. */
async function captureFor(seconds: number): Promise<FfmpegExit> {
  const video = { ...DEFAULT_VIDEO_PROFILE_720P, preset: 'ultrafast', tune: 'zerolatency', crf: 26 };
  const spec = buildCaptureCommand({
    inputs: capture.ffmpegInputs,
    outputs: [buildFragmentedMp4Output(join(dir, 'still.mp4'), video, DEFAULT_AUDIO_PROFILE)],
  });
  // A tail long enough to keep both inputs' "start:" lines.
  const ffmpeg = startFfmpeg(spec, { env: capture.ffmpegEnv, stderrTailLines: 500 });
  await sleep(seconds * 1000);
  return ffmpeg.stop();
}

describe('capture environment', () => {
  it('opens the sound at once for a capture started right away: inputs start together, no catch-up frames', async () => {
    const exit = await captureFor(4);
    const video = inputStartEpochMs(exit.stderrTail, 0);
    const audio = inputStartEpochMs(exit.stderrTail, 1);
    expect(video).not.toBeNull();
    expect(audio).not.toBeNull();
    // Measured 40–50 ms (0.7–2 s before); the bound leaves room for a busy machine.
    expect(Math.abs(audio! - video!)).toBeLessThan(500);
    // A still display: measured dup+drop 0–2 (60–120 when the sound opened late).
    const { dup = 0, drop = 0 } = exit.lastProgress ?? {};
    expect(dup + drop, JSON.stringify(exit.lastProgress)).toBeLessThan(20);
  });

  it('keeps the sink at its exact-clock rate while a 48 kHz client plays into it', async () => {
    // PulseAudio switches an unused null sink to the first client's rate; the silence loop keeps it in use.
    const player = spawn('pacat', ['--playback', '--raw', '--format=s16le', '--channels=2', '--rate=48000', '/dev/zero'], {
      env: capture.ffmpegEnv,
      stdio: 'ignore',
    });
    try {
      await sleep(500);
      const { stdout: sinks } = await promisify(execFile)('pactl', ['list', 'sinks', 'short'], { env: capture.ffmpegEnv });
      const line = sinks.split('\n').find((l) => l.split('\t')[1] === NULL_SINK);
      expect(line, sinks).toContain(`${SINK_RATE_HZ}Hz`);
    } finally {
      player.kill();
    }
  });
});
