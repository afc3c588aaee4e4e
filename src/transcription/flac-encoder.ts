/**
 * 16 kHz mono s16le → FLAC, through a short-lived ffmpeg per utterance (the worker already needs ffmpeg; no
 * maintained pure-JS FLAC encoder is worth a dependency). Measured on a 2-core EPYC: ~75 ms wall and ~70 ms
 * CPU for a 4.7 s utterance, 61 % of the WAV's bytes (docs/transcription.md, "openai").
 */
import { spawn } from 'node:child_process';
import { SPEECH_SAMPLE_RATE } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';

/** ffmpeg's arguments: raw PCM on stdin, FLAC on stdout. Pure. */
export function flacEncodeArgs(sampleRate: number = SPEECH_SAMPLE_RATE): string[] {
  return [
    ...['-nostdin', '-hide_banner', '-v', 'error'],
    ...['-f', 's16le', '-ar', String(sampleRate), '-ac', '1', '-i', 'pipe:0'],
    // Level 5 is flac's own default: ~all of the gain of 8 at a fraction of its CPU on speech.
    ...['-map_metadata', '-1', '-c:a', 'flac', '-compression_level', '5', '-f', 'flac', 'pipe:1'],
  ];
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
export function encodeFlac(pcm: Buffer, options: FlacEncodeOptions): Promise<Buffer> {
  const label = options.label ?? 'stream';
  if (options.signal.aborted) return Promise.reject(speechAborted(label));
  return new Promise<Buffer>((resolve, reject) => {
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]);
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', flacEncodeArgs(), { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 2000) err += String(b);
    });
    // EPIPE when ffmpeg died early: its exit reports why.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: Error & { code?: string }) => {
      if (options.signal.aborted) return reject(speechAborted(label));
      const why = e.name === 'AbortError' ? 'timed out' : (e.code ?? e.message);
      reject(new SpeechEngineError('engine_failed', `cannot encode FLAC for ${label}: ffmpeg ${why}`, { cause: e }));
    });
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      if (signal.aborted) return; // reported by 'error'
      reject(new SpeechEngineError('engine_failed', `cannot encode FLAC for ${label}: ffmpeg exited ${code}: ${err.trim()}`));
    });
    child.stdin.end(pcm);
  });
}
