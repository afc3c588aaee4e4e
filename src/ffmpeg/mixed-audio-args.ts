/**
 * The mixed-audio fallback of transcription (docs/transcription.md): an ffmpeg that reads the session's
 * PulseAudio monitor (everything the meeting plays) and writes 16 kHz mono LINEAR16 to stdout for one speech
 * stream. Pure; asserted in test/unit/ffmpeg/mixed-audio-args.test.ts.
 */
import { baseGlobalOptions, DEFAULT_AUDIO_THREAD_QUEUE_SIZE } from './capture-args.ts';
import type { FfmpegCommandSpec } from './command-spec.ts';
import { invalid } from './encoder-args.ts';

export interface MixedAudioPcmOptions {
  /** PulseAudio source, e.g. 'scriba.monitor'; the server comes from the env (PULSE_SERVER). */
  readonly pulseSource: string;
}

export function buildMixedAudioPcmCommand(opts: MixedAudioPcmOptions): FfmpegCommandSpec {
  if (opts.pulseSource.trim() === '') throw invalid('pulseSource is empty');
  return {
    // warning: no per-packet chatter; -nostats: nobody reads progress of a pipe.
    globalOptions: [...baseGlobalOptions('warning'), '-nostats'],
    inputs: [
      {
        // Same queue as the capture's pulse input: a blocked reader would let PulseAudio's buffer overrun.
        options: ['-f', 'pulse', '-thread_queue_size', String(DEFAULT_AUDIO_THREAD_QUEUE_SIZE)],
        source: opts.pulseSource,
      },
    ],
    outputs: [
      {
        // -flush_packets 1: each packet reaches the pipe at once (captions lag by the engine only).
        options: ['-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 's16le', '-flush_packets', '1'],
        target: 'pipe:1',
      },
    ],
  };
}
