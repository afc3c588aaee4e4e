/**
 * npm run bench:drift — one long recording (BENCH_MINUTES, default 30) of the synthetic meeting's sync tile,
 * and its A/V offset per 2-minute window: does the audio drift away from the video over time? Also the
 * least-squares slope of every flash/beep pair's offset against time (ms per 30 min), which sees drift
 * below the 33 ms steps of a 30 fps picture. Not part of `npm test`. Writes bench/results/drift.json
 * (BENCH_OUT overrides the path).
 *
 * BENCH_DRIFT_TILE=clock records the wall-clock tile and beep instead of the sync tile: how late the sound and
 * the picture reach the file against the wall clock, per window, so each path's own drift shows on one
 * clock, without a media element re-setting its A/V at every loop of its clip.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseMeetingUrl } from '../src/domain/meeting-target.ts';
import { clockTileRect, startDemoMeeting, syncTileRect } from '../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia } from '../src/ffmpeg/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { createRecorder } from '../workers/recorder.ts';
import { measureOffset, type Pulse } from './lib/av-sync.ts';
import { clockBeepLateness, latenessOf, latenessPerWindow, latenessSlopeMsPer30Min } from './lib/clock-tile.ts';
import { regionsFlashes } from './lib/file-pulses.ts';
import { benchConfig } from './lib/bench-config.ts';
import { msPer30Min, slope } from './lib/least-squares.ts';
import { offsetsPerWindow, streamEnds, syncTileBeeps } from './lib/sync-tile.ts';
import { machineAtEnd } from './lib/machine.ts';

const MINUTES = Number(process.env['BENCH_MINUTES'] ?? 30);
const WINDOW_SEC = 120;
const OUT = process.env['BENCH_OUT'] ?? 'bench/results/drift.json';
const CLOCK_ONLY = process.env['BENCH_DRIFT_TILE'] === 'clock';

/** Pure: every flash paired with its beep (anchored by the marker offset), as (time, offset) points. */
export function pairs(flashes: readonly Pulse[], beeps: readonly Pulse[], coarseSec: number): { t: number; offset: number }[] {
  const out: { t: number; offset: number }[] = [];
  for (const f of flashes) {
    if (f.t < 1) continue;
    let best: Pulse | undefined;
    for (const b of beeps) if (best === undefined || Math.abs(b.t - f.t - coarseSec) < Math.abs(best.t - f.t - coarseSec)) best = b;
    if (best && Math.abs(best.t - f.t - coarseSec) <= 0.3) out.push({ t: f.t, offset: best.t - f.t });
  }
  return out;
}

async function main(): Promise<void> {
  const meeting = await startDemoMeeting({ port: 0 });
  const seconds = Math.round(MINUTES * 60);
  const { config } = benchConfig('drift', { checks: { maxDurationSec: seconds } });
  try {
    process.stderr.write(`bench: one ${MINUTES} min recording…\n`);
    const session = createRecorder(config, createLogger({ level: 'warn' })).createSession({
      sessionId: 'drift',
      // clock=1: the wall-clock tile, to tell the display path's lateness from the media's A/V offset.
      target: parseMeetingUrl(`${meeting.url}/drift?participants=3&content=camera&clock=1${CLOCK_ONLY ? '&sync=0&clockBeep=1' : ''}`, true),
      login: null,
      roomPassword: null,
      resolution: '720p',
      maxDurationSec: seconds,
      outputs: [{ kind: 'file', resolution: '720p' }],
      fileRecordingMetadata: {},
    });
    let captureStartedAtMs = 0;
    session.on('state', (st) => {
      if (st.status === 'running') captureStartedAtMs = st.captureStartedAtMs;
    });
    const result = await session.run();
    if (!result.file) throw new Error(`session failed: ${result.failure?.message}`);
    const path = result.file.path;
    const media = await probeMedia(path);
    const viewport = { width: 1280, height: 720 };
    // A 30-minute file takes minutes to decode: both tiles are read from one decode of its picture, and only
    // the beep that was recorded from its sound (~350 MB of samples).
    const tiles = CLOCK_ONLY ? [clockTileRect(viewport)] : [clockTileRect(viewport), syncTileRect(viewport)];
    const [clockFlashes = [], syncFlashes = []] = await regionsFlashes(path, tiles);
    const pulses = { flashes: syncFlashes, beeps: CLOCK_ONLY ? [] : await syncTileBeeps(path) };
    const whole = measureOffset(pulses.flashes, pulses.beeps);
    const points = whole.markerOffsetMs === null ? [] : pairs(pulses.flashes, pulses.beeps, whole.markerOffsetMs / 1000);
    const s = slope(points);
    const windows = offsetsPerWindow(pulses, WINDOW_SEC);
    const lateness = latenessOf(
      clockFlashes.map((p) => p.t),
      captureStartedAtMs,
    );
    const displayWindows = latenessPerWindow(lateness, WINDOW_SEC);
    const beepLateness = CLOCK_ONLY ? await clockBeepLateness(path, captureStartedAtMs) : [];
    const soundWindows = latenessPerWindow(beepLateness, WINDOW_SEC);
    const soundSlope = latenessSlopeMsPer30Min(beepLateness);
    const measured = windows.filter((w) => w.offsetMs !== null).map((w) => w.offsetMs!);
    // Where the tracks end. Not a clock measurement: aresample's 100 ms pad/trim keeps the audio's length on
    // the wall clock even when the sound server's clock runs off (bench:sink-clock measures that clock).
    const ends = await streamEnds(path);
    const report = {
      benchmark: 'drift',
      measured: CLOCK_ONLY
        ? `one ${MINUTES} min recording (720p30, camera-like 3-participant meeting with the wall-clock tile and beep, no sync tile), the sound's and the picture's lateness against the wall clock per ${WINDOW_SEC / 60}-minute window`
        : `one ${MINUTES} min recording (720p30, camera-like 3-participant meeting with the sync and wall-clock tiles), A/V offset and the picture's lateness against the wall clock per ${WINDOW_SEC / 60}-minute window`,
      machine: machineAtEnd(),
      date: new Date().toISOString(),
      // The file's zero on the wall clock, so the file can be analysed again (bench/lib/clock-tile.ts).
      file: { durationSec: media.durationSec, path: result.file.path, captureStartedAtMs },
      wholeOffsetMs: whole.offsetMs,
      windows,
      firstToLastWindowMs: measured.length >= 2 ? Math.round((measured[measured.length - 1]! - measured[0]!) * 10) / 10 : null,
      slopeMsPer30Min: s === null ? null : msPer30Min(s),
      audioMinusVideoLengthMs: Math.round((ends.audio - ends.video) * 100000) / 100,
      pairs: points.length,
      display: {
        windows: displayWindows,
        slopeMsPer30Min: latenessSlopeMsPer30Min(lateness),
        flashes: lateness.length,
      },
      ...(CLOCK_ONLY
        ? {
            sound: {
              windows: soundWindows,
              slopeMsPer30Min: soundSlope,
              beeps: beepLateness.length,
            },
          }
        : {}),
      definitions: {
        offsetMs: 'median (beep onset − flash onset) of the sync tile pulses in the window; positive = audio late',
        slopeMsPer30Min: 'least-squares slope of every pair’s offset against time, × 30 min',
        display:
          'the wall-clock tile: how long after each second’s mark on the wall clock (clockMarkMs: the second plus 0…9 tenths of a 30 fps frame) its flash appears in the file (the file placed on the wall clock by captureStartedAtMs, the video input’s first frame): the display path’s lateness (page frame → compositor → X server → x11grab), median per window and its slope. It moves the video, not the audio: if it wanders with the A/V offset, the wander is the display path’s',
        sound:
          'BENCH_DRIFT_TILE=clock: the same for the wall-clock beep (scheduled on Chromium’s audio output timestamp): the sound path’s lateness (Chromium’s output → sound server → ffmpeg’s pulse input, trim included), median per window and its slope; sound slope − display slope is how far the two drift apart',
        audioMinusVideoLengthMs:
          'audio track length minus video track length: how the two end (a few tens of ms either way); not a clock measurement, see bench:sink-clock',
      },
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `${JSON.stringify({ windows: windows.map((w) => w.offsetMs), slopeMsPer30Min: report.slopeMsPer30Min, displayMs: displayWindows.map((w) => w.medianMs), displaySlopeMsPer30Min: report.display.slopeMsPer30Min, soundMs: soundWindows.map((w) => w.medianMs), soundSlopeMsPer30Min: soundSlope, audioMinusVideoLengthMs: report.audioMinusVideoLengthMs })}\n`,
    );
  } finally {
    await meeting.close();
  }
}

if (import.meta.main) await main();
