/**
 * npm run bench:sink-clock — the session sound server's clock against the system clock. The sound server as
 * sessions get it (private PulseAudio, null sink, silence loop), a 48 kHz client playing into the sink like
 * Chromium does, and the sink's monitor recorded at 48 kHz like ffmpeg does, for BENCH_SECONDS (default 120):
 * the least-squares slope of samples received against time. Once with the sink at SINK_RATE_HZ, once at
 * 48 kHz for comparison (docs/capture.md, "Drift": a fast clock shows in a recording as sound sliding later
 * against the picture). Writes bench/results/sink-clock.json (BENCH_OUT overrides the path).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SINK_RATE_HZ, startPulse } from '../src/capture/pulse.ts';
import { createSessionDirs, sessionEnv } from '../src/capture/session-env.ts';
import { msPer30Min, slope } from './lib/least-squares.ts';
import { machineAtEnd } from './lib/machine.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 120);
const OUT = process.env['BENCH_OUT'] ?? 'bench/results/sink-clock.json';
const RATE = 48_000;
const FRAME_BYTES = 4; // s16le stereo
const SETTLE_SEC = 2; // the record stream's first buffers arrive in a burst

/** Seconds of sound received against seconds of system clock, for `seconds`, with a client playing. */
async function measure(sinkRateHz: number): Promise<{ clockPpm: number | null; msPer30Min: number | null; chunks: number }> {
  const dir = mkdtempSync(`${tmpdir()}/scriba-bench-sink-clock-`);
  const dirs = await createSessionDirs(dir);
  const base = sessionEnv(dirs, {});
  const pulse = await startPulse({ runtimeDir: dirs.runtime, env: base, signal: AbortSignal.timeout(30_000), sinkRateHz });
  const env = { ...base, PULSE_SERVER: pulse.server };
  const format = ['--raw', '--format=s16le', '--channels=2', `--rate=${RATE}`];
  const player = spawn('pacat', ['--playback', ...format, '/dev/zero'], { env, stdio: 'ignore' });
  try {
    await sleep(1000);
    process.stderr.write(`bench: sink at ${sinkRateHz} Hz, recording its monitor for ${SECONDS} s…\n`);
    const recorder = spawn('parec', ['-d', pulse.monitorSource, ...format], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const points: { t: number; offset: number }[] = [];
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    recorder.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const t = Number(process.hrtime.bigint() - t0) / 1e9;
      if (t > SETTLE_SEC) points.push({ t, offset: bytes / FRAME_BYTES / RATE });
    });
    await sleep(SECONDS * 1000);
    recorder.kill();
    const rate = slope(points);
    return {
      clockPpm: rate === null ? null : Math.round((rate - 1) * 1e6 * 100) / 100,
      msPer30Min: rate === null ? null : msPer30Min(rate - 1),
      chunks: points.length,
    };
  } finally {
    player.kill();
    await pulse.process.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const current = await measure(SINK_RATE_HZ);
  const at48k = await measure(48_000);
  const report = {
    benchmark: 'sink-clock',
    measured: `the session sound server's null sink with its silence loop and a 48 kHz client playing, its monitor recorded at 48 kHz for ${SECONDS} s; the sink at ${SINK_RATE_HZ} Hz (as sessions run it) and at 48000 Hz`,
    machine: machineAtEnd(),
    date: new Date().toISOString(),
    sink: { rateHz: SINK_RATE_HZ, ...current },
    sinkAt48kHz: { rateHz: 48_000, ...at48k },
    definitions: {
      clockPpm:
        'least-squares slope of (seconds of sound received) against (seconds of system clock), minus 1, in parts per million; positive = the sink renders more sound than real time',
      msPer30Min: 'what that clock error adds up to over a 30-minute recording (the sound sliding later if positive)',
      chunks: 'reads of the monitor that the slope is fitted to',
    },
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ sink: report.sink, sinkAt48kHz: report.sinkAt48kHz })}\n`);
}

await main();
