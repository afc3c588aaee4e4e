/**
 * Pure builders for the capture command: a private Xvfb display (x11grab) plus a PulseAudio null-sink
 * monitor (pulse) in, a crash-safe fragmented MP4 out; and the remux that turns that file into a standard
 * MP4 at finalize. Every list here is asserted element by element in test/unit/ffmpeg/capture-args.test.ts;
 * every flag that is not obvious says why it is there (checked against ffmpeg 5.1, Debian 12).
 */
import { ScribaError } from '../domain/errors.ts';
import type { FfmpegCommandSpec, FfmpegInput, FfmpegOutput } from './command-spec.ts';

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

/**
 * Per-input packet queues between ffmpeg's demuxer threads and the main loop (ffmpeg's default is 8 packets).
 * Video: one raw x11grab frame is width*height*4 bytes (3.7 MB at 720p, 8.3 MB at 1080p), so the queue is
 * kept to about one second; when it is full x11grab simply grabs later and `-fps_mode cfr` fills the gap.
 * Expect one "[x11grab] Thread message queue blocking … (current value: 32)" warning right after start: x11grab
 * paces itself from the moment it was opened, so once the reader threads start (after pulse has opened,
 * 0.7–1.3 s later) it grabs the frames it is "behind" back to back; those grabs show the same instant and
 * cfr drops them (the early drop= count). A bigger queue would only buy memory for them.
 * Audio: pulse packets are 1024 bytes (~5 ms at 48 kHz stereo s16), so 1024 of them is ~5 s of audio for
 * about 1 MB; with a small queue the pulse reader blocks while the encoder is busy and PulseAudio's record
 * buffer can overrun, which loses audio.
 */
export const DEFAULT_VIDEO_THREAD_QUEUE_SIZE = 32;
export const DEFAULT_AUDIO_THREAD_QUEUE_SIZE = 1024;

export type FfmpegLogLevel = 'error' | 'warning' | 'info' | 'verbose' | 'debug';

export interface X11PulseInputOptions {
  /** X display of the session's private Xvfb, e.g. ':12'. */
  readonly display: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** PulseAudio source to record, e.g. 'scriba.monitor' (the monitor of the session's null sink). The
   *  server is chosen by the process environment (PULSE_SERVER), see startFfmpeg's `env`. */
  readonly pulseSource: string;
  /**
   * Measured audio-to-video offset of this capture path, in milliseconds, to be corrected.
   * Sign convention: POSITIVE = audio arrives LATE in the capture (a sound is captured `audioOffsetMs` after
   * the picture that belongs to it), so the audio must be moved earlier; we do that by delaying the video
   * input by the same amount. NEGATIVE = audio arrives EARLY, so the audio input is delayed by |audioOffsetMs|.
   * 0 = no correction. Only ever a positive `-itsoffset` is used (a negative one would give the other stream
   * negative timestamps). Rounded to whole milliseconds.
   */
  readonly audioOffsetMs: number;
  /** Overrides both queue sizes (see DEFAULT_*_THREAD_QUEUE_SIZE). */
  readonly threadQueueSize?: number;
  /** Audio capture format; default 48000 Hz, 2 channels. */
  readonly sampleRate?: number;
  readonly channels?: number;
  /**
   * Default true: align the two inputs on the wall clock with `-isync` (see the comment in the function).
   * Turn off only to reproduce old measurements.
   */
  readonly syncInputsOnWallclock?: boolean;
}

/**
 * Input 0 = x11grab video, input 1 = pulse audio (buildFragmentedMp4Output maps them by these indices).
 *
 * Why `-isync`: without it ffmpeg shifts EACH input so that its own first packet is at 0. x11grab and pulse
 * open one after the other and the second one's first packet arrives 0.6–1.3 s later (measured here: the
 * inputs' "start:" differed by 0.68 s to 1.31 s between runs), so the audio would be placed up to a second
 * too early, by an amount that changes every run: no fixed `audioOffsetMs` could correct it. Both devices stamp
 * packets with the wall clock (x11grab: av_gettime(); pulse: `-wallclock 1`, its default), and `-isync <ref>`
 * on an input re-applies the start-time difference to that input ("Adjusted ts offset for Input #1 by
 * 1311871 us to sync with Input #0"). ffmpeg 5.1 computes the synced input's offset as
 * `its own -itsoffset + the reference's -itsoffset + (start difference)`, so the input that carries the
 * correcting `-itsoffset` must be the one with `-isync` (an `-itsoffset` on the reference would shift both
 * streams and correct nothing). Hence: whichever input is delayed also carries `-isync <other>`; with no
 * offset the audio input carries `-isync 0`.
 */
export function buildX11PulseInputs(opts: X11PulseInputOptions): readonly [FfmpegInput, FfmpegInput] {
  checkDisplay(opts.display);
  checkEvenSize(opts.width, opts.height);
  checkPositiveInt(opts.fps, 'fps');
  if (!Number.isFinite(opts.audioOffsetMs)) {
    throw invalid(`audioOffsetMs must be a finite number, got ${opts.audioOffsetMs}`);
  }
  if (opts.pulseSource.trim() === '') throw invalid('pulseSource is empty');
  const videoQueue = opts.threadQueueSize ?? DEFAULT_VIDEO_THREAD_QUEUE_SIZE;
  const audioQueue = opts.threadQueueSize ?? DEFAULT_AUDIO_THREAD_QUEUE_SIZE;
  checkPositiveInt(videoQueue, 'threadQueueSize');
  const sampleRate = opts.sampleRate ?? 48_000;
  const channels = opts.channels ?? 2;
  checkPositiveInt(sampleRate, 'sampleRate');
  checkPositiveInt(channels, 'channels');

  const offsetMs = Math.round(opts.audioOffsetMs);
  const sync = opts.syncInputsOnWallclock ?? true;
  const shift = offsetMs === 0 ? [] : ['-itsoffset', formatSeconds(Math.abs(offsetMs))];
  const delayVideo = offsetMs > 0; // audio late → video later too
  const videoSync = sync && delayVideo ? ['-isync', '1'] : [];
  const audioSync = sync && !delayVideo ? ['-isync', '0'] : [];

  const video: FfmpegInput = {
    options: [
      '-f', 'x11grab',
      '-draw_mouse', '0', // no pointer in the recording
      '-framerate', String(opts.fps), // x11grab paces its grabs at this rate
      '-video_size', `${opts.width}x${opts.height}`,
      '-thread_queue_size', String(videoQueue),
      ...(delayVideo ? shift : []),
      ...videoSync,
    ],
    // Explicit origin: grab the top-left WxH region of the display (Xvfb is sized to match).
    source: `${opts.display}+0,0`,
  };
  const audio: FfmpegInput = {
    options: [
      '-f', 'pulse',
      '-thread_queue_size', String(audioQueue),
      '-ac', String(channels), // the record stream's format: PulseAudio delivers it, ffmpeg converts nothing
      '-ar', String(sampleRate),
      ...(delayVideo ? [] : shift),
      ...audioSync,
    ],
    source: opts.pulseSource,
  };
  return [video, audio];
}

export interface OutputStreamMap {
  /** Index of the video input (default 0). */
  readonly videoInput?: number;
  /** Index of the audio input (default 1). */
  readonly audioInput?: number;
}

/**
 * The recording file: H.264 + AAC in a fragmented MP4 that stays playable if ffmpeg (or the machine's
 * process) dies at any instant. Measured here: SIGKILL after 3.5 s left 2 complete 1 s fragments, read by
 * ffprobe as 2.0 s of h264 + aac. A plain MP4 killed the same way has no `moov` and is unreadable ("moov
 * atom not found", Jibri issue #413). At finalize, buildRemuxToMp4Command turns it into a standard MP4.
 */
export function buildFragmentedMp4Output(
  target: string,
  video: VideoProfile,
  audio: AudioProfile,
  map: OutputStreamMap = {},
): FfmpegOutput {
  return {
    options: [
      '-map', `${map.videoInput ?? 0}:v`,
      '-map', `${map.audioInput ?? 1}:a`,
      ...videoEncoderOptions(video),
      ...audioEncoderOptions(audio),
      // empty_moov: write the moov (track headers, no samples) first, so the file is valid from the start.
      // frag_keyframe + frag_duration: close a fragment (moof+mdat) at every keyframe and at least every
      // 1 000 000 µs, so at most ~1 s is lost on a crash (either condition cuts; fragments need not start on
      // a keyframe). default_base_moof: sample offsets relative to each fragment's own moof
      // ('default-base-is-moof') instead of to the file start, so every fragment is self-contained.
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration', '1000000',
      // Write each fragment to the file as soon as it is closed. Without it the file grew in 256 KiB steps
      // (measured: a kill at 3.5 s left 1 whole fragment and a torn second; with it, 2 whole fragments and
      // nothing torn). Costs one write() per packet.
      '-flush_packets', '1',
      '-f', 'mp4',
    ],
    target,
  };
}

export interface CaptureCommandOptions {
  readonly inputs: readonly FfmpegInput[];
  readonly outputs: readonly FfmpegOutput[];
  /** Default 'info': the least that still prints progress lines through the log (with a level tag). */
  readonly logLevel?: FfmpegLogLevel;
}

export function buildCaptureCommand(opts: CaptureCommandOptions): FfmpegCommandSpec {
  return {
    globalOptions: [...baseGlobalOptions(opts.logLevel ?? 'info'), '-stats', '-y'],
    inputs: opts.inputs,
    outputs: opts.outputs,
  };
}

/**
 * Fragmented MP4 → standard MP4 (one moov with the full sample tables, moved to the front), the form every
 * player opens and seeks instantly. Stream copy: no re-encode, seconds for hours of recording. Works on a
 * file whose last fragment was torn by a crash (the torn part is dropped).
 */
export function buildRemuxToMp4Command(input: string, output: string): FfmpegCommandSpec {
  return {
    globalOptions: [...baseGlobalOptions('info'), '-nostats', '-y'],
    inputs: [{ options: [], source: input }],
    outputs: [
      {
        options: [
          '-map', '0', // every stream, not only the "best" video and audio
          '-c', 'copy',
          // Second pass at the end that moves the moov before the mdat, so playback/seeking over HTTP
          // starts without reading the whole file.
          '-movflags', '+faststart',
          '-f', 'mp4',
        ],
        target: output,
      },
    ],
  };
}

/**
 * -hide_banner: the build configuration dump is noise in our logs.
 * -nostdin: ffmpeg must not read keyboard commands ('q', '?'); we stop it with SIGINT (as Jibri does), and the
 *   wrapper gives it no stdin at all.
 * -loglevel level+X: every log line carries its level ("[error] …", "[warning] …"), so the line classifier
 *   does not have to guess from the wording.
 */
function baseGlobalOptions(logLevel: FfmpegLogLevel): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', `level+${logLevel}`];
}

function videoEncoderOptions(v: VideoProfile): string[] {
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
    '-c:v', 'libx264',
    '-preset', v.preset,
    ...(v.tune === undefined ? [] : ['-tune', v.tune]),
    '-crf', String(v.crf),
    ...vbv,
    // x11grab delivers bgr0; left alone libx264 would encode 4:4:4 (High 4:4:4 profile), which browsers and
    // most hardware decoders cannot play.
    '-pix_fmt', 'yuv420p',
    // A keyframe exactly every gopSeconds: -g sets the interval, -sc_threshold 0 turns off extra keyframes on
    // scene cuts (a slide change would otherwise reset the cadence), so fragments and any later segmenting
    // line up. -keyint_min matches for clarity; x264 clamps it to g/2+1 anyway ("keyint_min=31" in its log).
    '-g', String(gop),
    '-keyint_min', String(gop),
    '-sc_threshold', '0',
    // Constant frame rate output: x11grab timestamps frames by the wall clock, so a late grab would give a
    // variable frame rate; cfr duplicates or drops frames to exactly fps (the dup=/drop= counters).
    // (-fps_mode replaces the deprecated -vsync since ffmpeg 5.1.)
    '-r', String(v.fps),
    '-fps_mode', 'cfr',
  ];
}

function audioEncoderOptions(a: AudioProfile): string[] {
  checkPositiveInt(a.bitrateKbps, 'bitrateKbps');
  checkPositiveInt(a.sampleRate, 'sampleRate');
  checkPositiveInt(a.channels, 'channels');
  return [
    '-c:a', 'aac',
    '-b:a', `${a.bitrateKbps}k`,
    '-ar', String(a.sampleRate),
    '-ac', String(a.channels),
    // As Jibri: stretch/squeeze and pad the audio to its timestamps, so PulseAudio clock drift and gaps
    // (a stalled sink) do not accumulate into lip-sync error over a long recording.
    '-af', 'aresample=async=1:first_pts=0',
  ];
}

/** Milliseconds → seconds with 3 decimals, as ffmpeg time durations ("0.320"). */
function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function checkDisplay(display: string): void {
  // [host]:display[.screen]; a local private Xvfb is ':N'.
  if (!/^[A-Za-z0-9.-]*:\d+(\.\d+)?$/.test(display)) {
    throw invalid(`X display must look like ":12", got "${display}"`);
  }
}

function checkEvenSize(width: number, height: number): void {
  checkPositiveInt(width, 'width');
  checkPositiveInt(height, 'height');
  // yuv420p subsamples chroma 2x2: libx264 refuses odd sizes ("width not divisible by 2").
  if (width % 2 !== 0 || height % 2 !== 0) throw invalid(`video size must be even, got ${width}x${height}`);
}

function checkPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer, got ${value}`);
}

function invalid(message: string): ScribaError {
  return new ScribaError('invalid_request', message, { scope: 'session', retryable: false });
}
