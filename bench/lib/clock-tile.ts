/**
 * The synthetic meeting's wall-clock tile (CLOCK_TILE, `clock=1`) in a recording: it turns white at a known
 * mark of every wall-clock second (clockMarkMs), so each flash onset, placed on the wall clock through the
 * file's zero (captureStartedAtMs), says how late the display path (page → compositor → X server → x11grab)
 * showed it, the page's own rendering of the tile included. With `clockBeep=1` the sound's lateness too (its
 * beeps leave Chromium's audio output at the same marks). Neither involves a media element's A/V offset.
 */
import { CLOCK_TILE, clockMarkMs, clockTileRect } from '../../src/demo-meeting/demo-meeting-server.ts';
import { median } from './av-sync.ts';
import { fileBeeps, regionFlashes } from './file-pulses.ts';
import { msPer30Min, slope } from './least-squares.ts';

export interface Lateness {
  /** Flash or beep onset in the file (seconds). */
  readonly t: number;
  /** How long after its second's mark (clockMarkMs) it appears in the file (ms; negative = early). */
  readonly ms: number;
}

/** Pure: each onset (file seconds) → its lateness against the mark (clockMarkMs) of its wall-clock second. */
export function latenessOf(onsetsSec: readonly number[], captureStartedAtMs: number): Lateness[] {
  return onsetsSec.map((t) => {
    const wall = captureStartedAtMs + t * 1000;
    const r = ((wall % 1000) + 1000) % 1000;
    // An onset more than half a second "late" is one that came early for the next second.
    const second = wall - r + (r >= 500 ? 1000 : 0);
    return { t, ms: Math.round((wall - clockMarkMs(second)) * 10) / 10 };
  });
}

export interface LatenessWindow {
  readonly fromSec: number;
  readonly toSec: number;
  readonly medianMs: number | null;
  readonly flashes: number;
}

/** Pure: the median lateness per window of the file (the first second is skipped, as for the sync tile). */
export function latenessPerWindow(points: readonly Lateness[], windowSec: number): LatenessWindow[] {
  const end = Math.max(0, ...points.map((p) => p.t));
  const out: LatenessWindow[] = [];
  for (let from = 0; from < end; from += windowSec) {
    const ms = points.filter((p) => p.t >= Math.max(1, from) && p.t < from + windowSec).map((p) => p.ms);
    out.push({ fromSec: from, toSec: from + windowSec, medianMs: median(ms), flashes: ms.length });
  }
  return out;
}

/** Pure: least-squares slope of the lateness against time, in ms per 30 minutes (null with < 2 points). */
export function latenessSlopeMsPer30Min(points: readonly Lateness[]): number | null {
  const s = slope(points.filter((p) => p.t >= 1).map((p) => ({ t: p.t, offset: p.ms / 1000 })));
  return s === null ? null : msPer30Min(s);
}

/** The wall-clock tile's flashes in a recording, as lateness points. */
export async function clockTileLateness(
  path: string,
  viewport: { width: number; height: number },
  captureStartedAtMs: number,
): Promise<Lateness[]> {
  const flashes = await regionFlashes(path, clockTileRect(viewport));
  return latenessOf(
    flashes.map((p) => p.t),
    captureStartedAtMs,
  );
}

/** The wall-clock beeps (`clockBeep=1`) in a recording, as lateness points, placed like the flashes. */
export async function clockBeepLateness(path: string, captureStartedAtMs: number): Promise<Lateness[]> {
  const beeps = await fileBeeps(path, CLOCK_TILE.beepHz);
  return latenessOf(
    beeps.map((p) => p.t),
    captureStartedAtMs,
  );
}

export interface ClockAv {
  /** Median lateness of the picture (ms), after the first second. */
  readonly videoLateMs: number | null;
  /** Median lateness of the sound (ms), after the first second. */
  readonly audioLateMs: number | null;
  /** audioLateMs − videoLateMs (positive = audio late); the picture's lateness includes the page's rendering. */
  readonly offsetMs: number | null;
  readonly flashes: number;
  readonly beeps: number;
}

/** Pure: the two latenesses' medians and their difference. */
export function clockAv(flashes: readonly Lateness[], beeps: readonly Lateness[]): ClockAv {
  const mid = (points: readonly Lateness[]) => median(points.filter((p) => p.t >= 1).map((p) => p.ms));
  const v = mid(flashes);
  const a = mid(beeps);
  return {
    videoLateMs: v,
    audioLateMs: a,
    offsetMs: v === null || a === null ? null : Math.round((a - v) * 10) / 10,
    flashes: flashes.length,
    beeps: beeps.length,
  };
}
