/**
 * A SpeechStream for engines that transcribe whole utterances: the stream's audio goes through the Silero
 * VAD frame by frame (VadSegmenter decides the boundaries), each utterance is handed to the engine's
 * transcribe function (several may be under way, within the engine's concurrency limit), and the results
 * come out in utterance order, on the stream's timeline: an utterance's results are offset by where it
 * starts, kept inside it, and never before the previous final's end.
 *
 * write() never blocks: audio queues while the detector works through it (~0.5 ms per 32 ms frame). Audio
 * no future utterance can include is dropped as the detector moves on.
 */
import { SampleAligner } from './pcm.ts';
import { ResultChannel } from './result-channel.ts';
import { SILERO_FRAME_SAMPLES, type SileroVadState } from './silero-vad.ts';
import type { SpeechResult, SpeechStartOptions, SpeechStream, SpeechWord } from './speech-engine.ts';
import { speechAborted } from './speech-errors.ts';
import { VadSegmenter, type VadSegmenterOptions } from './vad-segmenter.ts';
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';
import { onAbort } from '../lib/abort.ts';

export interface Utterance {
  /** 0, 1, 2… in the stream. */
  readonly index: number;
  /** LINEAR16 mono, 16 kHz. */
  readonly pcm: Buffer;
  /** Where it sits on the stream's timeline. */
  readonly startSec: number;
  readonly endSec: number;
}

/** Results with times relative to the utterance's first sample. Rejects to fail the stream. */
export type TranscribeUtterance = (utterance: Utterance, signal: AbortSignal) => Promise<readonly SpeechResult[]>;

/** Bounds how many utterances an engine has under way at once, across its streams. */
export class ConcurrencyLimit {
  readonly #max: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  get running(): number {
    return this.#running;
  }

  async run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.#running < this.#max) this.#running += 1;
    else {
      // Woken by #finally, which hands its slot over without releasing it.
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const go = (): void => {
          stopListening();
          resolve();
        };
        const stopListening = onAbort(signal, () => {
          const i = this.#waiting.indexOf(go);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal.reason);
        });
        this.#waiting.push(go);
      });
    }
    return this.#finally(fn);
  }

  async #finally<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}

export interface UtteranceStreamOptions {
  readonly vad: SileroVadState;
  readonly segmenter?: VadSegmenterOptions;
  readonly transcribe: TranscribeUtterance;
  readonly limit: ConcurrencyLimit;
  readonly onGone: () => void;
}

const RATE = SPEECH_SAMPLE_RATE;
const FRAME_BYTES = SILERO_FRAME_SAMPLES * 2;

/** Offsets an utterance's results onto the stream's timeline and keeps them inside it. Pure. */
export function placeUtteranceResults(
  results: readonly SpeechResult[],
  u: Pick<Utterance, 'startSec' | 'endSec'>,
  previousEndSec: number,
): SpeechResult[] {
  const out: SpeechResult[] = [];
  let lastEnd = previousEndSec;
  const clamp = (t: number, lo: number): number => Math.min(u.endSec, Math.max(lo, u.startSec + t));
  for (const r of results) {
    const text = r.text.trim();
    if (text === '') continue;
    const startSec = clamp(r.startSec, Math.max(u.startSec, lastEnd));
    const endSec = Math.max(startSec, clamp(r.endSec, startSec));
    const words: SpeechWord[] | undefined = r.words?.map((w) => {
      const ws = Math.min(endSec, clamp(w.startSec, startSec));
      return { word: w.word, startSec: ws, endSec: Math.min(endSec, Math.max(ws, clamp(w.endSec, ws))) };
    });
    out.push({ ...r, text, startSec, endSec, ...(words === undefined ? {} : { words }) });
    if (r.final) lastEnd = endSec;
  }
  return out;
}

export class UtteranceStream implements SpeechStream {
  readonly results = new ResultChannel<SpeechResult>();
  readonly #o: UtteranceStreamOptions;
  readonly #label: string;
  readonly #signal: AbortSignal;
  readonly #abort = new AbortController();
  readonly #aligner = new SampleAligner();
  readonly #segmenter: VadSegmenter;
  /** Audio not yet through the detector. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Frames the detector has seen and a future utterance may still need: frame k is samples [k·512, (k+1)·512). */
  readonly #frames: Buffer[] = [];
  #firstFrame = 0;
  #samplesWritten = 0;
  #pumping: Promise<void> | null = null;
  #utterances = 0;
  /** Each utterance's results, pushed in order. */
  #emitted: Promise<void> = Promise.resolve();
  #lastEndSec = 0;
  #ending: Promise<void> | null = null;
  #failure: unknown = null;

  constructor(start: SpeechStartOptions, options: UtteranceStreamOptions) {
    this.#o = options;
    this.#label = start.label ?? 'stream';
    this.#signal = start.signal;
    this.#segmenter = new VadSegmenter({ ...options.segmenter, frameSamples: SILERO_FRAME_SAMPLES, sampleRate: RATE });
    if (start.signal.aborted) queueMicrotask(this.#onAbort);
    else this.#stopListening = onAbort(start.signal, this.#onAbort);
  }

  write(pcm: Buffer): void {
    if (this.#ending !== null || this.#failure !== null) return;
    const aligned = this.#aligner.push(pcm);
    if (aligned.length === 0) return;
    this.#pending.push(Buffer.from(aligned)); // a copy: the caller may reuse its buffer
    this.#pendingBytes += aligned.length;
    this.#samplesWritten += aligned.length / 2;
    this.#pumping ??= this.#pump();
  }

  end(): Promise<void> {
    if (this.#signal.aborted) this.abort(); // before the deferred abort of a signal aborted at start
    if (this.#ending === null) {
      this.#ending = this.#finish();
      this.#ending.catch(() => {});
    }
    return this.#ending;
  }

  abort(): void {
    this.#fail(speechAborted(this.#label));
  }

  readonly #onAbort = (): void => this.abort();
  #stopListening = (): void => undefined;

  async #finish(): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    // A last partial frame is padded with silence for the detector; utterances never reach past the audio.
    const partial = this.#pendingBytes % FRAME_BYTES;
    if (partial > 0) {
      this.#pending.push(Buffer.alloc(FRAME_BYTES - partial));
      this.#pendingBytes += FRAME_BYTES - partial;
    }
    while (this.#pumping !== null) await this.#pumping;
    if (this.#failure !== null) throw this.#failure;
    for (const b of this.#segmenter.flush()) this.#dispatch(b.startSample, b.endSample);
    await this.#emitted;
    if (this.#failure !== null) throw this.#failure;
    this.#cleanup();
    this.results.close();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#pendingBytes >= FRAME_BYTES && this.#failure === null) {
        const frame = this.#take(FRAME_BYTES);
        const probability = await this.#o.vad.probability(frame);
        if (this.#failure !== null) return;
        this.#frames.push(frame);
        for (const b of this.#segmenter.push(probability)) this.#dispatch(b.startSample, b.endSample);
        // Drop frames wholly before what a future utterance may include.
        const keepFrame = Math.floor(this.#segmenter.keepFrom / SILERO_FRAME_SAMPLES);
        while (this.#firstFrame < keepFrame && this.#frames.length > 0) {
          this.#frames.shift();
          this.#firstFrame += 1;
        }
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = null;
    }
  }

  #take(bytes: number): Buffer {
    const parts: Buffer[] = [];
    let need = bytes;
    while (need > 0) {
      const head = this.#pending[0]!;
      if (head.length <= need) {
        parts.push(head);
        this.#pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.#pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.#pendingBytes -= bytes;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
  }

  #dispatch(startSample: number, endSample: number): void {
    const end = Math.min(endSample, this.#samplesWritten);
    const first = Math.max(startSample, this.#firstFrame * SILERO_FRAME_SAMPLES);
    if (end <= first) return;
    const audio = Buffer.concat(
      this.#frames.slice(
        Math.floor(first / SILERO_FRAME_SAMPLES) - this.#firstFrame,
        Math.ceil(end / SILERO_FRAME_SAMPLES) - this.#firstFrame,
      ),
    );
    const offset = (first % SILERO_FRAME_SAMPLES) * 2;
    const u: Utterance = {
      index: this.#utterances++,
      pcm: audio.subarray(offset, offset + (end - first) * 2),
      startSec: first / RATE,
      endSec: end / RATE,
    };
    const signal = this.#abort.signal;
    const work = this.#o.limit.run(() => this.#o.transcribe(u, signal), signal);
    work.catch(() => {});
    this.#emitted = this.#emitted.then(async () => {
      if (this.#failure !== null) return;
      try {
        const placed = placeUtteranceResults(await work, u, this.#lastEndSec);
        if (this.#failure !== null) return;
        for (const r of placed) {
          this.results.push(r);
          if (r.final) this.#lastEndSec = r.endSec;
        }
      } catch (err) {
        this.#fail(err);
      }
    });
  }

  #fail(err: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    this.#abort.abort(err);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#frames.length = 0;
    this.results.fail(err);
    if (this.#ending === null) {
      this.#ending = Promise.reject(err);
      this.#ending.catch(() => {});
    }
    this.#cleanup();
  }

  #cleanup(): void {
    this.#stopListening();
    this.#o.onGone();
  }
}
