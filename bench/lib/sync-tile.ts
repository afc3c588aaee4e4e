/**
 * The A/V offset of a recording of the synthetic meeting, read from its sync tile (bottom-right corner): flash
 * onsets from the tile's brightness, beep onsets from the audio, each on its own stream's timeline.
 * Optionally per time window, for drift over a long recording.
 */
import { syncTileRect } from '../../src/demo-meeting/demo-meeting-server.ts';
import { measureOffset, median, type AvOffset, type Pulse } from './av-sync.ts';
import { ffprobe } from './extract.ts';
import { fileBeeps, regionFlashes } from './file-pulses.ts';

/**
 * The sync clip's playback rate for benchmark runs (the page's syncRate): 1 ms a second fast, so its pulses
 * slide across the 30 fps grabs and a run's median averages their phase, as a meeting's video, which arrives at
 * no fixed phase, does; at 1 a run keeps one phase throughout (docs/capture.md, "Why single runs scatter").
 */
export const SLIDING_SYNC_RATE = 1.001;

/** The sync tile's beep (sync.webm's tone, scripts/make-fixtures.sh). */
const SYNC_BEEP_HZ = 1000;

export interface SyncTilePulses {
  readonly flashes: readonly Pulse[];
  readonly beeps: readonly Pulse[];
}

/** The sync tile's flash and beep onsets in the file's presentation time (seconds; file-pulses.ts). */
export async function syncTilePulses(path: string, viewport: { width: number; height: number }): Promise<SyncTilePulses> {
  return { flashes: await regionFlashes(path, syncTileRect(viewport)), beeps: await syncTileBeeps(path) };
}

/** The sync tile's beep onsets alone. */
export function syncTileBeeps(path: string): Promise<Pulse[]> {
  return fileBeeps(path, SYNC_BEEP_HZ);
}

/**
 * The offset, anchored by the 300 ms marker pulses. With `nearestWithinSec`, a recording whose marker was
 * lost (a loaded machine drops frames of the long flash) is measured by pairing each flash with the nearest
 * beep within that window instead: right only if the true offset is within it.
 */
export async function syncTileOffset(
  path: string,
  viewport: { width: number; height: number },
  nearestWithinSec?: number,
): Promise<AvOffset> {
  const { flashes, beeps } = await syncTilePulses(path, viewport);
  const anchored = measureOffset(flashes, beeps);
  if (anchored.offsetMs !== null || nearestWithinSec === undefined) return anchored;
  return nearestOffset(flashes, beeps, nearestWithinSec);
}

/** Pure: median (beep − flash) pairing each flash (after the first second) with the nearest beep within the window. */
export function nearestOffset(flashes: readonly Pulse[], beeps: readonly Pulse[], withinSec: number): AvOffset {
  const diffs: number[] = [];
  for (const f of flashes) {
    if (f.t < 1) continue;
    let best: Pulse | undefined;
    for (const b of beeps) if (best === undefined || Math.abs(b.t - f.t) < Math.abs(best.t - f.t)) best = b;
    if (best && Math.abs(best.t - f.t) <= withinSec) diffs.push(best.t - f.t);
  }
  const middle = median(diffs);
  return {
    offsetMs: middle === null ? null : Math.round(middle * 10000) / 10,
    markerOffsetMs: null,
    pairs: diffs.length,
    flashes: flashes.length,
    beeps: beeps.length,
  };
}

export interface WindowOffset {
  readonly fromSec: number;
  readonly toSec: number;
  readonly offsetMs: number | null;
  readonly pairs: number;
}

/**
 * The offset per window of `windowSec`. Each window is measured with the whole recording's marker offset as
 * its coarse anchor (a window may hold no 300 ms marker), so only the fine pairing happens per window. Pure.
 */
export function offsetsPerWindow(p: SyncTilePulses, windowSec: number): WindowOffset[] {
  const whole = measureOffset(p.flashes, p.beeps);
  const coarse = whole.markerOffsetMs === null ? null : whole.markerOffsetMs / 1000;
  const end = Math.max(0, ...p.flashes.map((f) => f.t));
  const out: WindowOffset[] = [];
  for (let from = 0; from < end; from += windowSec) {
    const diffs: number[] = [];
    if (coarse !== null) {
      for (const f of p.flashes) {
        if (f.t < Math.max(1, from) || f.t >= from + windowSec) continue;
        let best: Pulse | undefined;
        for (const b of p.beeps) if (best === undefined || Math.abs(b.t - f.t - coarse) < Math.abs(best.t - f.t - coarse)) best = b;
        if (best && Math.abs(best.t - f.t - coarse) <= 0.3) diffs.push(best.t - f.t);
      }
    }
    const middle = median(diffs);
    out.push({
      fromSec: from,
      toSec: from + windowSec,
      offsetMs: middle === null ? null : Math.round(middle * 10000) / 10,
      pairs: diffs.length,
    });
  }
  return out;
}

/** Where each stream ends (start_time + duration, seconds), from ffprobe. */
export async function streamEnds(path: string): Promise<{ video: number; audio: number }> {
  const text = await ffprobe(['-show_entries', 'stream=codec_type,start_time,duration', '-of', 'json'], path);
  const streams = (JSON.parse(text) as { streams: { codec_type: string; start_time?: string; duration?: string }[] }).streams;
  const end = (type: string) => {
    const s = streams.find((x) => x.codec_type === type);
    return Number(s?.start_time ?? 0) + Number(s?.duration ?? Number.NaN);
  };
  return { video: end('video'), audio: end('audio') };
}
