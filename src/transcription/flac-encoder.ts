/**
 * 16 kHz mono s16le → FLAC, through a short-lived ffmpeg per utterance (the worker already needs ffmpeg; no
 * maintained pure-JS FLAC encoder is worth a dependency). Measured on a 2-core EPYC: ~75 ms wall and ~70 ms
 * CPU for a 4.7 s utterance, 61 % of the WAV's bytes (docs/transcription.md, "openai").
 */
import { finished } from 'node:stream/promises';
import { type FfmpegCommandSpec, ffmpegExitToError, startFfmpeg } from '../ffmpeg/index.ts';
import { deadlineSignal } from '../lib/abort.ts';
import { SPEECH_SAMPLE_RATE } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';

/** ffmpeg's command: raw PCM on stdin, FLAC on stdout. Pure. */
export function flacEncodeCommand(sampleRate: number = SPEECH_SAMPLE_RATE): FfmpegCommandSpec {
  return {
    globalOptions: ['-nostdin', '-hide_banner', '-v', 'error'],
    inputs: [{ options: ['-f', 's16le', '-ar', String(sampleRate), '-ac', '1'], source: 'pipe:0' }],
    // Level 5 is flac's own default: ~all of the gain of 8 at a fraction of its CPU on speech.
    outputs: [{ options: ['-map_metadata', '-1', '-c:a', 'flac', '-compression_level', '5', '-f', 'flac'], target: 'pipe:1' }],
  };
}

export interface FlacEncodeOptions {
  readonly signal: AbortSignal;
  /** For error messages. */
  readonly label?: string;
  /** Default 'ffmpeg' (looked up in PATH). */
  readonly ffmpegPath?: string;
  /** Default 10 s: an utterance is at most a minute of audio. */
  readonly timeoutMs?: number;
}

/** Encodes one utterance; rejects with SpeechEngineError('engine_failed') when ffmpeg cannot, 'aborted' on abort. */
export async function encodeFlac(pcm: Buffer, options: FlacEncodeOptions): Promise<Buffer> {
  const label = options.label ?? 'stream';
  if (options.signal.aborted) throw speechAborted(label);
  const ffmpeg = startFfmpeg(flacEncodeCommand(), {
    signal: deadlineSignal(options.timeoutMs ?? 10_000, options.signal),
    ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
    stdin: 'pipe',
    stdout: 'pipe',
    // Stopped only on abort or timeout: there is no file to finish.
    killGraceMs: 1000,
  });
  const out: Buffer[] = [];
  ffmpeg.stdout?.on('data', (b: Buffer) => out.push(b));
  // `exited` does not wait for stdout: the last bytes may still be on their way.
  const drained = ffmpeg.stdout ? finished(ffmpeg.stdout).catch(() => undefined) : undefined;
  // EPIPE when ffmpeg died early: its exit reports why.
  ffmpeg.stdin?.on('error', () => undefined);
  ffmpeg.stdin?.end(pcm);
  const [exit] = await Promise.all([ffmpeg.exited, drained]);
  if (options.signal.aborted) throw speechAborted(label);
  if (exit.code === 0) return Buffer.concat(out);
  const why = exit.stoppedByUs ? 'ffmpeg timed out' : ffmpegExitToError(exit)?.message;
  throw new SpeechEngineError('engine_failed', `cannot encode FLAC for ${label}: ${why}`);
}
