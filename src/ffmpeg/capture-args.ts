/**
 * Pure builders for the capture command: a private Xvfb display (x11grab) plus a PulseAudio null-sink
 * monitor (pulse) in, a crash-safe fragmented MP4 out; and the remux that turns that file into a standard
 * MP4 at finalize. Every list here is asserted element by element in test/unit/ffmpeg/capture-args.test.ts;
 * every flag that is not obvious says why it is there (checked against ffmpeg 5.1, Debian 12).
 */
import type { FfmpegCommandSpec, FfmpegInput, FfmpegOutput } from './command-spec.ts';
import { type AudioProfile, checkEvenSize, checkPositiveInt, invalid, type VideoProfile } from './encoder-args.ts';
import { buildEncodedOutput, fragmentedMp4Leg, type OutputStreamMap } from './output-legs.ts';

export { type AudioProfile, DEFAULT_AUDIO_PROFILE, DEFAULT_VIDEO_PROFILE_720P, type VideoProfile } from './encoder-args.ts';
export type { OutputStreamMap } from './output-legs.ts';

/**
 * Per-input packet queues between ffmpeg's demuxer threads and the main loop (ffmpeg's default is 8 packets).
 * Video: one raw x11grab frame is width*height*4 bytes (3.7 MB at 720p, 8.3 MB at 1080p), each in a shared
 * memory segment that Xvfb maps too, and x11grab keeps every segment it ever needed at once. 8 frames (ffmpeg's
 * default, 267 ms) hold about 40 MB PSS between ffmpeg and Xvfb; 32 held about 100 MB. x11grab paces itself
 * from the moment it was opened, so once the reader threads start (after pulse has opened) it grabs the frames
 * it is "behind" back to back, and those grabs show the same instant, which `-fps_mode cfr` drops and repeats.
 * Pulse opens in about 40 ms since the session's sound server keeps its sink busy (buildPulseArgs); before,
 * it took 0.7–1.3 s and that burst was most of a recording's dup= and drop= counts. When the queue is full
 * x11grab simply grabs later and cfr fills the gap: an encoder stalled for more than 267 ms costs a repeated
 * frame, never the recording.
 * Audio: pulse packets are 1024 bytes (~5 ms at 48 kHz stereo s16), so 1024 of them is ~5 s of audio for
 * about 1 MB; with a small queue the pulse reader blocks while the encoder is busy and PulseAudio's record
 * buffer can overrun, which loses audio.
 */
export const DEFAULT_VIDEO_THREAD_QUEUE_SIZE = 8;
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
 * open one after the other and the second one's first packet arrives later (measured here: the inputs'
 * "start:" differed by 0.68 s to 1.31 s between runs, 40–50 ms once the sound server kept its sink busy), so
 * the audio would be placed too early, by an amount that changes every run: no fixed `audioOffsetMs` could
 * correct it. Both devices stamp packets with the wall clock (x11grab: av_gettime(); pulse: `-wallclock 1`,
 * its default), and `-isync <ref>` on an input re-applies the start-time difference to that input ("Adjusted
 * ts offset for Input #1 by 48580 us to sync with Input #0"). ffmpeg 5.1 computes the synced input's offset as
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
      '-f',
      'x11grab',
      '-draw_mouse',
      '0', // no pointer in the recording
      '-framerate',
      String(opts.fps), // x11grab paces its grabs at this rate
      '-video_size',
      `${opts.width}x${opts.height}`,
      '-thread_queue_size',
      String(videoQueue),
      ...(delayVideo ? shift : []),
      ...videoSync,
    ],
    // Explicit origin: grab the top-left WxH region of the display (Xvfb is sized to match).
    source: `${opts.display}+0,0`,
  };
  const audio: FfmpegInput = {
    options: [
      '-f',
      'pulse',
      '-thread_queue_size',
      String(audioQueue),
      '-ac',
      String(channels), // the record stream's format: PulseAudio delivers it, ffmpeg converts nothing
      '-ar',
      String(sampleRate),
      ...(delayVideo ? [] : shift),
      ...audioSync,
    ],
    source: opts.pulseSource,
  };
  return [video, audio];
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
  return buildEncodedOutput([fragmentedMp4Leg(target)], video, audio, map);
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
          '-map',
          '0', // every stream, not only the "best" video and audio
          '-c',
          'copy',
          // Second pass at the end that moves the moov before the mdat, so playback/seeking over HTTP
          // starts without reading the whole file.
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ],
        target: output,
      },
    ],
  };
}

/**
 * -hide_banner: the build configuration dump is noise in our logs.
 * -nostdin: ffmpeg must not read keyboard commands ('q', '?'); we stop it with SIGINT (as Jibri does). The
 *   wrapper gives it no stdin at all, except to the RTMP relay, which reads media from `pipe:0` (-nostdin
 *   only turns off the keyboard, not a pipe:0 input).
 * -loglevel level+X: every log line carries its level ("[error] …", "[warning] …"), so the line classifier
 *   does not have to guess from the wording.
 */
export function baseGlobalOptions(logLevel: FfmpegLogLevel): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', `level+${logLevel}`];
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
