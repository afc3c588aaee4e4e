/**
 * Voice-activity segmentation for engines that transcribe whole utterances (an OpenAI-compatible Whisper
 * server, an offline sherpa-onnx model). Pure: one speech probability per frame in (Silero VAD gives one per
 * 512 samples at 16 kHz), utterance boundaries out, as sample offsets on the stream's own timeline.
 *
 * Hysteresis as Silero's own get_speech_timestamps does it: speech starts when a frame reaches `threshold`,
 * and only frames under `threshold − 0.15` count as silence. An utterance ends after `minSilenceMs` of
 * silence; one shorter than `minSpeechMs` (a click, a cough) is dropped. Each is widened by `speechPadMs` on
 * both sides (never before the previous utterance's end). One that reaches `maxUtteranceSec` is cut at its
 * last short pause (≥ `splitSilenceMs`) when it had one, else where it stands, and goes on as a new one, so
 * a monologue still yields captions every few seconds and no request grows without bound.
 */
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';

export interface VadSegmenterOptions {
  /** Samples per probability. Default 512 (Silero at 16 kHz). */
  readonly frameSamples?: number;
  readonly sampleRate?: number;
  /** Default 0.5. */
  readonly threshold?: number;
  /** Default 500 ms. */
  readonly minSilenceMs?: number;
  /** Default 250 ms. */
  readonly minSpeechMs?: number;
  /** Default 150 ms. */
  readonly speechPadMs?: number;
  /** Default 20 s. */
  readonly maxUtteranceSec?: number;
  /** A pause this long inside a too-long utterance is where it is cut. Default 100 ms. */
  readonly splitSilenceMs?: number;
}

export interface UtteranceBounds {
  /** First sample (inclusive) and end (exclusive), padded, on the stream's timeline. */
  readonly startSample: number;
  readonly endSample: number;
}

interface Resolved {
  readonly frame: number;
  readonly threshold: number;
  readonly negThreshold: number;
  readonly minSilence: number;
  readonly minSpeech: number;
  readonly pad: number;
  readonly maxLength: number;
  readonly splitSilence: number;
}

export function resolveVadOptions(o: VadSegmenterOptions = {}): Resolved {
  const rate = o.sampleRate ?? SPEECH_SAMPLE_RATE;
  const samples = (ms: number): number => Math.round((ms * rate) / 1000);
  const threshold = o.threshold ?? 0.5;
  const r: Resolved = {
    frame: o.frameSamples ?? 512,
    threshold,
    negThreshold: Math.max(0.01, threshold - 0.15),
    minSilence: samples(o.minSilenceMs ?? 500),
    minSpeech: samples(o.minSpeechMs ?? 250),
    pad: samples(o.speechPadMs ?? 150),
    maxLength: samples((o.maxUtteranceSec ?? 20) * 1000),
    splitSilence: samples(o.splitSilenceMs ?? 100),
  };
  if (!(threshold > 0 && threshold < 1)) throw new RangeError('VAD threshold must be between 0 and 1');
  if (r.frame <= 0 || r.maxLength < r.frame * 4) throw new RangeError('maxUtteranceSec is too short for the VAD frame');
  return r;
}

export class VadSegmenter {
  readonly #o: Resolved;
  /** Samples consumed so far: the start of the next frame. */
  #at = 0;
  /** Where the current speech began (unpadded), or null outside speech. */
  #speechStart: number | null = null;
  /** Start of the silence run under way inside speech, or null. */
  #silenceStart: number | null = null;
  /** Inside a too-long utterance: the latest pause ≥ splitSilence (its start and end). */
  #lastPause: { start: number; end: number } | null = null;
  /** End of the last utterance emitted: the next one's padding never reaches back before it. */
  #lastEnd = 0;

  constructor(options: VadSegmenterOptions = {}) {
    this.#o = resolveVadOptions(options);
  }

  get frameSamples(): number {
    return this.#o.frame;
  }

  /** Samples consumed. */
  get position(): number {
    return this.#at;
  }

  /** True while an utterance is open. */
  get inSpeech(): boolean {
    return this.#speechStart !== null;
  }

  /** The earliest sample a future utterance can still include: audio before it may be dropped. */
  get keepFrom(): number {
    const from = this.#speechStart === null ? this.#at - this.#o.pad : this.#speechStart - this.#o.pad;
    return Math.max(this.#lastEnd, from, 0);
  }

  /** One frame's speech probability; returns the utterances it completes (usually none). */
  push(probability: number): UtteranceBounds[] {
    const o = this.#o;
    const frameStart = this.#at;
    this.#at += o.frame;
    const out: UtteranceBounds[] = [];
    if (this.#speechStart === null) {
      if (probability >= o.threshold) this.#speechStart = frameStart;
      return out;
    }
    if (probability >= o.threshold) {
      if (this.#silenceStart !== null && frameStart - this.#silenceStart >= o.splitSilence) {
        this.#lastPause = { start: this.#silenceStart, end: frameStart };
      }
      this.#silenceStart = null;
    } else if (probability < o.negThreshold) {
      this.#silenceStart ??= frameStart;
      if (this.#at - this.#silenceStart >= o.minSilence) {
        this.#close(this.#silenceStart, out);
        return out;
      }
    }
    if (this.#at - this.#speechStart >= o.maxLength) this.#split(out);
    return out;
  }

  /** The stream ended: the utterance under way, if any. */
  flush(): UtteranceBounds[] {
    const out: UtteranceBounds[] = [];
    if (this.#speechStart !== null) this.#close(this.#silenceStart ?? this.#at, out, this.#at);
    return out;
  }

  #split(out: UtteranceBounds[]): void {
    const pause = this.#lastPause;
    if (pause !== null) {
      // Cut in the middle of the pause; what follows it is the next utterance's speech.
      const cut = Math.floor((pause.start + pause.end) / 2);
      this.#emit(this.#speechStart!, Math.min(cut, pause.start + this.#o.pad), out);
      this.#speechStart = pause.end;
    } else {
      this.#emit(this.#speechStart!, this.#at, out);
      this.#speechStart = this.#at;
    }
    this.#lastPause = null;
  }

  /** Ends the utterance whose speech stops at `speechEnd`; `limit` caps its padding (the audio's end). */
  #close(speechEnd: number, out: UtteranceBounds[], limit = Number.POSITIVE_INFINITY): void {
    const start = this.#speechStart!;
    this.#speechStart = null;
    this.#silenceStart = null;
    this.#lastPause = null;
    if (speechEnd - start < this.#o.minSpeech) return;
    const end = Math.min(speechEnd + this.#o.pad, limit, this.#at);
    this.#emit(start, end, out);
  }

  #emit(speechStart: number, paddedEnd: number, out: UtteranceBounds[]): void {
    const startSample = Math.max(this.#lastEnd, speechStart - this.#o.pad, 0);
    if (paddedEnd <= startSample) return;
    out.push({ startSample, endSample: paddedEnd });
    this.#lastEnd = paddedEnd;
  }
}
