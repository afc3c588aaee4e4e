/**
 * Reading recorded files back: a summary via ffprobe (through fluent-ffmpeg) and the audio level via ffmpeg's
 * volumedetect filter. Both fail with ScribaError ('ffmpeg_failed', or 'aborted').
 */
import { ScribaError } from '../domain/errors.ts';
import { abortError, raceSignal } from '../lib/abort.ts';
import { runFfmpeg } from './ffmpeg-process.ts';
import { type FfprobeResult, ffprobeThroughFluent } from './fluent-runner.ts';
import { type MediaSummary, toMediaSummary } from './media-summary.ts';
import { type AudioLevel, buildVolumeDetectCommand, parseVolumeDetect, type VolumeDetectOptions } from './volume-detect.ts';

export interface ProbeOptions {
  /**
   * Stops waiting when aborted (rejects with 'aborted'). fluent-ffmpeg does not expose the ffprobe child, so
   * that process is not killed; it reads a local file and ends on its own.
   */
  readonly signal?: AbortSignal;
}

/**
 * Summary of a media file. `-count_packets` makes ffprobe read the whole file and count the video packets,
 * so `video.avgFps` is what was really written (packets / duration), not the frame rate the header claims.
 * On a fragmented MP4 whose last fragment was torn by a crash, the torn samples are counted but the
 * duration comes from the complete fragments, so avgFps can read a little high there.
 */
export async function probeMedia(path: string, opts: ProbeOptions = {}): Promise<MediaSummary> {
  const signal = opts.signal;
  throwIfAborted(signal, path);
  // -v error: fluent-ffmpeg keeps stderr in memory; a damaged file can print thousands of decoder warnings.
  const probe = ffprobeThroughFluent(path, ['-v', 'error', '-count_packets']);
  let data: FfprobeResult;
  try {
    data = await raceSignal(probe, signal, (s) => abortError(s, `probe of ${path}`));
  } catch (err) {
    if (err instanceof ScribaError) throw err;
    const message = err instanceof Error ? err.message.trim().replace(/\s+/g, ' ') : String(err);
    throw new ScribaError('ffmpeg_failed', `ffprobe could not read ${path}: ${message}`, { cause: err });
  }
  return toMediaSummary(data);
}

export interface MeasureAudioLevelOptions extends VolumeDetectOptions {
  readonly signal?: AbortSignal;
  readonly ffmpegPath?: string;
}

/** Mean and peak level of the first audio stream, in dBFS (digital silence: -91 dB). */
export async function measureAudioLevel(path: string, opts: MeasureAudioLevelOptions = {}): Promise<AudioLevel> {
  const lines: string[] = [];
  const window: VolumeDetectOptions = {
    ...(opts.startSec === undefined ? {} : { startSec: opts.startSec }),
    ...(opts.durationSec === undefined ? {} : { durationSec: opts.durationSec }),
  };
  await runFfmpeg(buildVolumeDetectCommand(path, window), {
    what: `volumedetect on ${path}`,
    onLine: (line) => {
      if (line.kind !== 'progress') lines.push(line.message);
    },
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.ffmpegPath === undefined ? {} : { ffmpegPath: opts.ffmpegPath }),
  });
  const level = parseVolumeDetect(lines);
  if (level === null) {
    throw new ScribaError('ffmpeg_failed', `volumedetect printed no levels for ${path} (no audio samples decoded)`);
  }
  return level;
}

function throwIfAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted === true) throw abortError(signal, `probe of ${path}`);
}
