/**
 * Profiles and expected ffmpeg arguments for the capture's encode and mux, shared by the capture-args,
 * output-legs and encode-plan unit tests. Values are spelled as literal flag strings, never computed from a
 * profile, so the tests still check src's profile → flag mapping element by element.
 */
import type { AudioProfile, VideoProfile } from '../../src/ffmpeg/encoder-args.ts';

export const video720: VideoProfile = { width: 1280, height: 720, fps: 30, preset: 'veryfast', crf: 23, gopSeconds: 2 };
export const audio: AudioProfile = { bitrateKbps: 128, sampleRate: 48_000, channels: 2 };

/** Video from input 0 (x11grab), audio from input 1 (pulse), unless told. */
export const mapArgs = (videoInput = 0, audioInput = 1): string[] => ['-map', `${videoInput}:v`, '-map', `${audioInput}:a`];

export interface ExpectedX264 {
  readonly preset?: string;
  readonly tune?: string;
  readonly crf?: string;
  readonly maxrate?: string;
  readonly bufsize?: string;
  readonly gop?: string;
  readonly fps?: string;
  /** x264's thread count when src sets one (it does for ultrafast). */
  readonly threads?: string;
}

/** The libx264 flags in src's order; the defaults are those of `video720` (veryfast, crf 23, 60-frame gop at 30 fps). */
export function x264Args({
  preset = 'veryfast',
  tune,
  crf = '23',
  maxrate,
  bufsize,
  gop = '60',
  fps = '30',
  threads,
}: ExpectedX264 = {}): string[] {
  return [
    '-c:v',
    'libx264',
    '-preset',
    preset,
    ...(tune === undefined ? [] : ['-tune', tune]),
    '-crf',
    crf,
    ...(maxrate === undefined ? [] : ['-maxrate', maxrate]),
    ...(bufsize === undefined ? [] : ['-bufsize', bufsize]),
    '-pix_fmt',
    'yuv420p',
    '-sws_flags',
    'neighbor',
    ...(threads === undefined ? [] : ['-threads', threads]),
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
    '-r',
    fps,
    '-fps_mode',
    'cfr',
  ];
}

/** Jibri's live-stream x264 settings (zerolatency, VBV-capped), on top of a preset and crf. */
export const STREAM_X264: ExpectedX264 = { tune: 'zerolatency', maxrate: '2976k', bufsize: '5952k' };

/** The AAC flags; the defaults are those of `audio`. */
export const aacArgs = (bitrate = '128k', sampleRate = '48000', channels = '2'): string[] => [
  '-c:a',
  'aac',
  '-b:a',
  bitrate,
  '-ar',
  sampleRate,
  '-ac',
  channels,
  '-af',
  'aresample=async=1:first_pts=0',
];

/** Fragmented-MP4 muxer options of a file leg (target not included). */
export const FRAG_MP4_MUX = [
  '-movflags',
  '+frag_keyframe+empty_moov+default_base_moof',
  '-frag_duration',
  '1000000',
  '-flush_packets',
  '1',
  '-f',
  'mp4',
];

/** MPEG-TS muxer options of a stream leg (target not included). */
export const MPEGTS_MUX = ['-pes_payload_size', '0', '-flush_packets', '1', '-f', 'mpegts'];

/** The tee target of a file leg to `file` plus a stream leg on stdout, in that order. */
export const teeFileAndStream = (file: string): string =>
  `[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:flush_packets=1]${file}` +
  '|[f=mpegts:onfail=ignore:pes_payload_size=0:flush_packets=1]pipe:1';
