/**
 * Pure encoder arguments shared by every output of the capture: the H.264 and AAC profiles and the flags
 * that implement them (asserted element by element in test/unit/ffmpeg/capture-args.test.ts). A file and a
 * live stream differ only in the profile: VBV cap and `-tune zerolatency` for the stream.
 */
import { ScribaError } from '../domain/errors.ts';

export interface VideoProfile {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** libx264 preset, normally 'veryfast' (Jibri's file recording uses ultrafast: less CPU, much larger files). */
  readonly preset: string;
  /** libx264 constant rate factor, normally 23. */
  readonly crf: number;
  /** Keyframe interval in seconds, normally 2. */
  readonly gopSeconds: number;
  /** With both set, crf is capped (VBV): needed for live streams, optional for files. */
  readonly maxrateKbps?: number;
  readonly bufsizeKbps?: number;
  /** libx264 tune, e.g. 'zerolatency' for a live stream; none for files. */
  readonly tune?: string;
}

export interface AudioProfile {
  readonly bitrateKbps: number;
  readonly sampleRate: number;
  readonly channels: number;
}

export const DEFAULT_VIDEO_PROFILE_720P: VideoProfile = {
  width: 1280,
  height: 720,
  fps: 30,
  preset: 'veryfast',
  crf: 23,
  gopSeconds: 2,
};

export const DEFAULT_AUDIO_PROFILE: AudioProfile = { bitrateKbps: 128, sampleRate: 48_000, channels: 2 };

export function videoEncoderOptions(v: VideoProfile): string[] {
  checkEvenSize(v.width, v.height);
  checkPositiveInt(v.fps, 'fps');
  if (!(v.crf >= 0 && v.crf <= 51)) throw invalid(`crf must be within 0..51, got ${v.crf}`);
  if (!(v.gopSeconds > 0)) throw invalid(`gopSeconds must be positive, got ${v.gopSeconds}`);
  const gop = Math.max(1, Math.round(v.fps * v.gopSeconds));
  const vbv: string[] = [];
  if (v.maxrateKbps !== undefined || v.bufsizeKbps !== undefined) {
    if (v.maxrateKbps === undefined || v.bufsizeKbps === undefined) {
      throw invalid('maxrateKbps and bufsizeKbps go together');
    }
    checkPositiveInt(v.maxrateKbps, 'maxrateKbps');
    checkPositiveInt(v.bufsizeKbps, 'bufsizeKbps');
    vbv.push('-maxrate', `${v.maxrateKbps}k`, '-bufsize', `${v.bufsizeKbps}k`);
  }
  return [
    '-c:v',
    'libx264',
    '-preset',
    v.preset,
    ...(v.tune === undefined ? [] : ['-tune', v.tune]),
    '-crf',
    String(v.crf),
    ...vbv,
    // x11grab delivers bgr0; left alone libx264 would encode 4:4:4 (High 4:4:4 profile), which browsers and
    // most hardware decoders cannot play.
    '-pix_fmt',
    'yuv420p',
    // The conversion keeps every luma sample and halves the chroma both ways; point-sampling that chroma
    // instead of filtering it (swscale's default, bicubic) took ~0.04 of the encode's ~0.18 cores at 720p30
    // camera-like content, for SSIM 0.9865 vs 0.9870 against the captured frames (bench:encoder).
    '-sws_flags',
    'neighbor',
    ...singleThread(v.preset),
    // A keyframe exactly every gopSeconds: -g sets the interval, -sc_threshold 0 turns off extra keyframes on
    // scene cuts (a slide change would otherwise reset the cadence), so fragments and any later segmenting
    // line up. -keyint_min matches for clarity; x264 clamps it to g/2+1 anyway ("keyint_min=31" in its log).
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    // Constant frame rate output: x11grab timestamps frames by the wall clock, so a late grab would give a
    // variable frame rate; cfr duplicates or drops frames to exactly fps (the dup=/drop= counters).
    // (-fps_mode replaces the deprecated -vsync since ffmpeg 5.1.)
    '-r',
    String(v.fps),
    '-fps_mode',
    'cfr',
  ];
}

/**
 * ultrafast needs ~6 ms of one core per 720p frame (~13 ms at 1080p), well inside a 33 ms frame, so x264's
 * slice threads only add hand-offs: one thread measured 7 % less CPU (bench:encoder). Slower presets keep
 * x264's own choice, which a 1080p frame may need to keep up.
 */
function singleThread(preset: string): string[] {
  return preset === 'ultrafast' ? ['-threads', '1'] : [];
}

/**
 * Lays the audio out on its sample count, corrected against the pulse input's wall-clock timestamps only
 * when they disagree by more than 100 ms (a stalled sink, a gap: silence is inserted or samples dropped).
 * - async=1 turns that hard compensation on and nothing else (ffmpeg stretches/squeezes only when async > 1,
 *   using async/sample-rate as the limit). Measured here: async=48 (stretch by up to 0.1 % to follow every
 *   timestamp) moved the audio 90–640 ms late, because the pulse input's timestamps (wall clock minus the
 *   latency PulseAudio reports, smoothed by a filter that needs a few seconds to settle) are less exact than
 *   the sample count.
 * - first_pts=0: the fragmented MP4 cannot carry a stream's start offset (no edit list with empty_moov), so
 *   an audio input that opened later than the video gets real leading silence instead.
 */
export const AUDIO_TIMELINE_FILTER = 'aresample=async=1:first_pts=0';

export function audioEncoderOptions(a: AudioProfile): string[] {
  checkPositiveInt(a.bitrateKbps, 'bitrateKbps');
  checkPositiveInt(a.sampleRate, 'sampleRate');
  checkPositiveInt(a.channels, 'channels');
  return ['-c:a', 'aac', '-b:a', `${a.bitrateKbps}k`, '-ar', String(a.sampleRate), '-ac', String(a.channels), '-af', AUDIO_TIMELINE_FILTER];
}

export function checkEvenSize(width: number, height: number): void {
  checkPositiveInt(width, 'width');
  checkPositiveInt(height, 'height');
  // yuv420p subsamples chroma 2x2: libx264 refuses odd sizes ("width not divisible by 2").
  if (width % 2 !== 0 || height % 2 !== 0) throw invalid(`video size must be even, got ${width}x${height}`);
}

export function checkPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer, got ${value}`);
}

export function invalid(message: string): ScribaError {
  return new ScribaError('invalid_request', message, { scope: 'session', retryable: false });
}
