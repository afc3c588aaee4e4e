/**
 * The capture environment as a session gets it: a capture started right after the environment is ready opens
 * its sound at once, so x11grab (opened first) has no frames to catch up and constant frame rate has nothing
 * to drop or repeat. Before the sound server kept its sink busy, the pulse input took 0.7–2 s to open and a
 * still display's 4 s capture had dozens of dropped and repeated frames.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedCapture } from '../../src/capture/capture-backend.ts';
import { createX11PulseBackend } from '../../src/capture/x11-pulse-backend.ts';
import {
  buildCaptureCommand,
  buildFragmentedMp4Output,
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_VIDEO_PROFILE_720P,
  toArgv,
} from '../../src/ffmpeg/index.ts';

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

function captureFor(seconds: number): Promise<string> {
  const video = { ...DEFAULT_VIDEO_PROFILE_720P, preset: 'ultrafast', tune: 'zerolatency', crf: 26 };
  const argv = toArgv(
    buildCaptureCommand({
      inputs: capture.ffmpegInputs,
      outputs: [buildFragmentedMp4Output(join(dir, 'still.mp4'), video, DEFAULT_AUDIO_PROFILE)],
    }),
  );
  argv.splice(argv.length - 1, 0, '-t', String(seconds));
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', argv, { env: capture.ffmpegEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`))));
  });
}

describe('capture environment', () => {
  it('opens the sound at once for a capture started right away: inputs start together, no catch-up frames', async () => {
    const log = await captureFor(4);
    const adjustedUs = Number(/Adjusted ts offset for Input #1 by (-?\d+) us/.exec(log)?.[1]);
    // Measured 40–50 ms (0.7–2 s before); the bound leaves room for a busy machine.
    expect(Math.abs(adjustedUs)).toBeLessThan(500_000);
    const last =
      log
        .split(/\r|\n/)
        .filter((line) => line.includes('frame='))
        .at(-1) ?? '';
    const dup = Number(/dup=(\d+)/.exec(last)?.[1] ?? 0);
    const drop = Number(/drop=(\d+)/.exec(last)?.[1] ?? 0);
    // A still display: measured dup+drop 0–2 (60–120 when the sound opened late).
    expect(dup + drop, last).toBeLessThan(20);
  });
});
