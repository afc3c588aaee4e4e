/**
 * The synthetic meeting's wall-clock tile (CLOCK_TILE, `clock=1`) in a recording: it turns white at every
 * whole second of the wall clock, so each flash onset, placed on the wall clock through the file's zero
 * (captureStartedAtMs), says how late the display path (page → compositor → X server → x11grab) showed it.
 * The lateness of the picture, not of the sound, and independent of the media elements' own A/V offset.
 */
import { clockTileRect } from '../../src/demo-meeting/demo-meeting-server.ts';
import { flashPulses, median } from './av-sync.ts';
import { regionLuma, videoFrameTimes } from './extract.ts';
import { msPer30Min, slope } from './least-squares.ts';

export interface Lateness {
  /** Flash onset in the file (seconds). */
  readonly t: number;
  /** How long after its wall-clock second the flash appears in the file (ms; negative = early). */
  readonly ms: number;
}

/** Pure: each flash onset (file seconds) → its lateness against the wall-clock second it marks. */
export function latenessOf(flashOnsetsSec: readonly number[], captureStartedAtMs: number): Lateness[] {
  return flashOnsetsSec.map((t) => {
    const r = (((captureStartedAtMs + t * 1000) % 1000) + 1000) % 1000;
    // A flash more than half a second "late" is one that came early for the next second.
    return { t, ms: Math.round((r >= 500 ? r - 1000 : r) * 10) / 10 };
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
  const rect = clockTileRect(viewport);
  const luma = await regionLuma(path, { x: rect.x, y: rect.y, w: rect.width, h: rect.height });
  return latenessOf(
    flashPulses(luma, await videoFrameTimes(path)).map((p) => p.t),
    captureStartedAtMs,
  );
}
