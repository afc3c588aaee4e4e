/**
 * What we need to know about a recorded file, mapped purely from ffprobe's
 * `-show_streams -show_format -count_packets` output (as fluent-ffmpeg parses it: numbers where the text was
 * a plain number, strings like "N/A" or "30/1" otherwise).
 */

export interface VideoSummary {
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** Real average frame rate: packets / duration (one packet per frame for H.264 in MP4). */
  readonly avgFps: number;
  /** Packets counted by ffprobe (-count_packets), null when not counted. */
  readonly frames: number | null;
  readonly durationSec: number | null;
}

export interface AudioSummary {
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSec: number | null;
}

export interface MediaSummary {
  /** ffprobe's demuxer name list, e.g. 'mov,mp4,m4a,3gp,3g2,mj2'. */
  readonly formatName: string;
  readonly durationSec: number;
  readonly sizeBytes: number;
  readonly video: VideoSummary | null;
  readonly audio: AudioSummary | null;
}

/** The subset of ffprobe's data we read; everything is optional and loosely typed on purpose. */
export interface FfprobeLike {
  readonly format?: Readonly<Record<string, unknown>>;
  readonly streams?: readonly Readonly<Record<string, unknown>>[];
}

export function toMediaSummary(data: FfprobeLike): MediaSummary {
  const format = data.format ?? {};
  const streams = data.streams ?? [];
  const videoStream = streams.find((s) => s['codec_type'] === 'video' && !isAttachedPicture(s));
  const audioStream = streams.find((s) => s['codec_type'] === 'audio');

  const streamDurations = streams.map((s) => num(s['duration'])).filter((d): d is number => d !== null);
  const durationSec = num(format['duration']) ?? (streamDurations.length > 0 ? Math.max(...streamDurations) : 0);

  return {
    formatName: str(format['format_name']),
    durationSec,
    sizeBytes: num(format['size']) ?? 0,
    video: videoStream === undefined ? null : toVideo(videoStream, durationSec),
    audio: audioStream === undefined ? null : toAudio(audioStream),
  };
}

function toVideo(s: Readonly<Record<string, unknown>>, formatDurationSec: number): VideoSummary {
  const frames = num(s['nb_read_packets']) ?? num(s['nb_read_frames']) ?? num(s['nb_frames']);
  const durationSec = num(s['duration']);
  const over = durationSec ?? formatDurationSec;
  const avgFps = frames !== null && over > 0 ? frames / over : (rate(s['avg_frame_rate']) ?? 0);
  return {
    codec: str(s['codec_name']),
    width: num(s['width']) ?? 0,
    height: num(s['height']) ?? 0,
    avgFps,
    frames,
    durationSec,
  };
}

function toAudio(s: Readonly<Record<string, unknown>>): AudioSummary {
  return {
    codec: str(s['codec_name']),
    sampleRate: num(s['sample_rate']) ?? 0,
    channels: num(s['channels']) ?? 0,
    durationSec: num(s['duration']),
  };
}

function isAttachedPicture(s: Readonly<Record<string, unknown>>): boolean {
  const disposition = s['disposition'];
  return typeof disposition === 'object' && disposition !== null && (disposition as Record<string, unknown>)['attached_pic'] === 1;
}

/** A finite number from a number or numeric text; null for "N/A", missing, or anything else. */
function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** "30/1" → 30; "0/0" → null. */
function rate(value: unknown): number | null {
  if (typeof value !== 'string') return num(value);
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (m === null) return num(value);
  const den = Number(m[2]);
  return den === 0 ? null : Number(m[1]) / den;
}
