/**
 * Audio level of a file via ffmpeg's volumedetect filter: the pure command builder and the pure parser of
 * its report ("[Parsed_volumedetect_0 @ 0x…] [info] mean_volume: -24.1 dB"). Digital silence reads as
 * -91.0 dB (the 16-bit floor), so "is there any sound" is e.g. maxDb > -60.
 */
import type { FfmpegCommandSpec } from './command-spec.ts';

export interface AudioLevel {
  readonly meanDb: number;
  readonly maxDb: number;
}

export interface VolumeDetectOptions {
  /** Seek to this many seconds before measuring (input-side, fast). */
  readonly startSec?: number;
  /** Measure at most this many seconds. */
  readonly durationSec?: number;
}

export function buildVolumeDetectCommand(path: string, opts: VolumeDetectOptions = {}): FfmpegCommandSpec {
  const window: string[] = [];
  if (opts.startSec !== undefined) window.push('-ss', String(opts.startSec));
  if (opts.durationSec !== undefined) window.push('-t', String(opts.durationSec));
  return {
    // The filter reports at info level when it is closed: info is the minimum. -nostats: no progress noise.
    globalOptions: ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-nostats'],
    inputs: [{ options: window, source: path }],
    outputs: [
      {
        // First audio stream only (a missing one fails with "Stream map '0:a:0' matches no streams");
        // decode, measure, write nothing.
        options: ['-map', '0:a:0', '-af', 'volumedetect', '-f', 'null'],
        target: '-',
      },
    ],
  };
}

const MEAN = /\bmean_volume:\s*(-?(?:\d+(?:\.\d+)?|inf))\s*dB/;
const MAX = /\bmax_volume:\s*(-?(?:\d+(?:\.\d+)?|inf))\s*dB/;

/**
 * Finds the volumedetect report in stderr lines (raw or already classified messages). Null when either
 * value is missing (no samples were decoded: volumedetect then prints nothing). Pure.
 */
export function parseVolumeDetect(lines: Iterable<string>): AudioLevel | null {
  let meanDb: number | null = null;
  let maxDb: number | null = null;
  for (const line of lines) {
    const mean = MEAN.exec(line);
    if (mean?.[1] !== undefined) meanDb = toDb(mean[1]);
    const max = MAX.exec(line);
    if (max?.[1] !== undefined) maxDb = toDb(max[1]);
  }
  return meanDb === null || maxDb === null ? null : { meanDb, maxDb };
}

function toDb(text: string): number {
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  return Number(text);
}
