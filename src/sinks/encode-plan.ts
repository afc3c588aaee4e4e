/**
 * Which encode feeds which sink (pure). A file alone gets the file profile; a stream alone gets the stream
 * profile (Jibri's: veryfast, zerolatency, a keyframe every 2 s, VBV-capped); both at once get either one
 * encode with the stream profile shared by both legs through the tee muxer (`stream.shareEncode`, the
 * default: one x264 instead of two), or two encodes, each with its own profile, in the same ffmpeg.
 */
import type { ScribaConfig } from '../config/config.ts';
import { buildEncodedOutput, type FfmpegOutput, type MuxLeg } from '../ffmpeg/index.ts';
import type { EncodingProfile, SinkSpec } from './sink.ts';

const AUDIO_SAMPLE_RATE = 48_000;
const AUDIO_CHANNELS = 2;
/** Keyframe interval of the file profile (fragments and any later segmenting line up on it). */
const FILE_GOP_SECONDS = 2;

export interface PlannedLeg {
  readonly kind: SinkSpec['kind'];
  readonly leg: MuxLeg;
}

export interface EncodePlanInput {
  readonly legs: readonly PlannedLeg[];
  readonly file: EncodingProfile;
  readonly stream: EncodingProfile;
  readonly shareEncode: boolean;
}

export function planCaptureOutputs(p: EncodePlanInput): FfmpegOutput[] {
  const fileLegs = p.legs.filter((l) => l.kind === 'file').map((l) => l.leg);
  const streamLegs = p.legs.filter((l) => l.kind === 'stream').map((l) => l.leg);
  if (fileLegs.length === 0 && streamLegs.length === 0) throw new Error('a capture needs at least one output');
  if (streamLegs.length === 0) return [buildEncodedOutput(fileLegs, p.file.video, p.file.audio)];
  if (fileLegs.length === 0) return [buildEncodedOutput(streamLegs, p.stream.video, p.stream.audio)];
  if (p.shareEncode) return [buildEncodedOutput([...fileLegs, ...streamLegs], p.stream.video, p.stream.audio)];
  // File first: the progress line (frame=, time=) that drives max duration and liveness is the first output's.
  return [buildEncodedOutput(fileLegs, p.file.video, p.file.audio), buildEncodedOutput(streamLegs, p.stream.video, p.stream.audio)];
}

type ProfileConfig = Pick<ScribaConfig, 'capture' | 'stream'>;

export function fileEncodingProfile(c: ProfileConfig, width: number, height: number): EncodingProfile {
  return {
    // zerolatency (no B-frames, no lookahead, sliced threads) for the file too, for A/V sync (docs/capture.md):
    // with B-frames the fragmented MP4 (no edit list) presents the video 2+ frames late, and x264's ~0.4 s of
    // lookahead makes ffmpeg read the audio input that much behind, so a stop cut the audio 0.4 s short.
    video: {
      width,
      height,
      fps: c.capture.fps,
      preset: c.capture.videoPreset,
      crf: c.capture.videoCrf,
      gopSeconds: FILE_GOP_SECONDS,
      tune: 'zerolatency',
    },
    audio: { bitrateKbps: c.capture.audioBitrateKbps, sampleRate: AUDIO_SAMPLE_RATE, channels: AUDIO_CHANNELS },
  };
}

/**
 * Jibri's stream profile (docs/jitsi-recorder.md, "Jibri's own ffmpeg"), with our capture's crf under the
 * VBV cap. Audio stays at 48 kHz (YouTube's recommendation for AAC; FLV's 44.1 kHz header field is ignored
 * for AAC) so a shared encode needs no resampling for the file.
 */
export function streamEncodingProfile(c: ProfileConfig, width: number, height: number): EncodingProfile {
  return {
    video: {
      width,
      height,
      fps: c.capture.fps,
      preset: c.stream.videoPreset,
      crf: c.capture.videoCrf,
      gopSeconds: c.stream.keyframeIntervalSec,
      maxrateKbps: c.stream.maxrateKbps,
      bufsizeKbps: c.stream.bufsizeKbps,
      tune: 'zerolatency',
    },
    audio: { bitrateKbps: c.stream.audioBitrateKbps, sampleRate: AUDIO_SAMPLE_RATE, channels: AUDIO_CHANNELS },
  };
}
