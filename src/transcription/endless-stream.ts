/**
 * "Endless streaming" bookkeeping for Google's ~5-minute stream limit (docs/transcription.md, "Endless streaming"). Pure: no I/O, time
 * is a parameter.
 *
 * The stream's audio timeline counts bytes written since start. The book keeps the audio after the last final
 * result (the "unconfirmed" tail) and the gRPC stream in use, a window [startByte, sentByte) of that timeline:
 * - open(): a new gRPC stream starts at the last final's end, so it is sent that tail again (and nothing
 *   before it), then the audio nobody has heard yet;
 * - next(): the next request's audio (at most maxRequestBytes), or 'limit' when the stream has carried
 *   streamLimitSec of audio or lived that long: time to hand over to a new one;
 * - accept(): a result on the gRPC stream's clock → the timeline (offset by the window's start). A final moves
 *   the confirmed point; one ending at or before it was already delivered and is dropped, so no final is
 *   emitted twice and finals never overlap.
 */
import { bytesPerSecond, secondsToByte } from './pcm.ts';
import type { SpeechResult, SpeechWord } from './speech-engine.ts';
import type { StreamRelativeResult } from './google-results.ts';

export interface EndlessStreamLimits {
  readonly sampleRateHertz: number;
  /** Hand over to a new gRPC stream after this much audio or wall time on one (Google allows ~305 s). */
  readonly streamLimitSec: number;
  /**
   * At most this much of a tail that a stream heard in full is sent again; older unconfirmed audio is given
   * up (that stream returned no final for it: silence or noise). Must be below streamLimitSec.
   */
  readonly maxResendSec: number;
  /** Google accepts at most 25 KB of audio per request. */
  readonly maxRequestBytes: number;
}

export interface StreamWindow {
  readonly startByte: number;
  readonly sentByte: number;
  readonly openedAtMs: number;
}

export interface OpenPlan {
  readonly startByte: number;
  /** Bytes of already-sent audio this stream gets again. */
  readonly resendBytes: number;
  /** Unconfirmed bytes given up because the tail exceeded maxResendSec. */
  readonly droppedBytes: number;
}

export type NextSend = { readonly kind: 'audio'; readonly audio: Buffer } | { readonly kind: 'limit' } | { readonly kind: 'none' };

const round = (sec: number): number => Math.round(sec * 1e6) / 1e6;

export class EndlessStreamBook {
  readonly #limits: EndlessStreamLimits;
  readonly #bps: number;
  /** Unconfirmed audio: timeline bytes [#bufferStart, #written). */
  #chunks: Buffer[] = [];
  #bufferStart = 0;
  #written = 0;
  /** Highest timeline byte any stream was sent. */
  #sentHigh = 0;
  #lastFinalEndSec = 0;
  #window: StreamWindow | null = null;

  constructor(limits: EndlessStreamLimits) {
    if (limits.maxResendSec >= limits.streamLimitSec) throw new RangeError('maxResendSec must be below streamLimitSec');
    if (limits.maxRequestBytes < 2) throw new RangeError('maxRequestBytes must hold a sample');
    this.#limits = limits;
    this.#bps = bytesPerSecond(limits.sampleRateHertz);
  }

  /** Whole samples only (the caller aligns). */
  append(pcm: Buffer): void {
    if (pcm.length === 0) return;
    this.#chunks.push(pcm);
    this.#written += pcm.length;
  }

  get writtenBytes(): number {
    return this.#written;
  }
  /** Timeline byte up to which finals have covered the audio (or the tail was given up). */
  get confirmedByte(): number {
    return this.#bufferStart;
  }
  get unconfirmedBytes(): number {
    return this.#written - this.#bufferStart;
  }
  /** Audio no stream has been sent yet. */
  get unsentBytes(): number {
    return this.#written - this.#sentHigh;
  }
  get window(): StreamWindow | null {
    return this.#window;
  }
  get lastFinalEndSec(): number {
    return this.#lastFinalEndSec;
  }

  /**
   * capResend: the tail was heard in full (the last stream ended after our half-close), so at most
   * maxResendSec of it is worth sending again. After a failed stream, what it heard is unknown: all of the
   * tail is sent again.
   */
  open(nowMs: number, capResend: boolean): OpenPlan {
    const maxResendBytes = secondsToByte(this.#limits.maxResendSec, this.#limits.sampleRateHertz);
    const droppedBytes = capResend ? Math.max(0, this.#sentHigh - this.#bufferStart - maxResendBytes) : 0;
    this.#dropBefore(this.#bufferStart + droppedBytes);
    const startByte = this.#bufferStart;
    this.#window = { startByte, sentByte: startByte, openedAtMs: nowMs };
    return { startByte, resendBytes: this.#sentHigh - startByte, droppedBytes };
  }

  next(nowMs: number): NextSend {
    const w = this.#window;
    if (w === null) return { kind: 'none' };
    const limitBytes = secondsToByte(this.#limits.streamLimitSec, this.#limits.sampleRateHertz);
    const room = w.startByte + limitBytes - w.sentByte;
    const expired = nowMs - w.openedAtMs >= this.#limits.streamLimitSec * 1000;
    const available = this.#written - w.sentByte;
    if (available > 0 && (room <= 0 || expired)) return { kind: 'limit' };
    if (available <= 0) return { kind: 'none' };
    const maxRequest = this.#limits.maxRequestBytes - (this.#limits.maxRequestBytes % 2);
    const length = Math.min(available, room, maxRequest);
    const audio = this.#slice(w.sentByte, w.sentByte + length);
    this.#window = { ...w, sentByte: w.sentByte + length };
    this.#sentHigh = Math.max(this.#sentHigh, w.sentByte + length);
    return { kind: 'audio', audio };
  }

  /**
   * Gives up unconfirmed audio that streams have already been sent, except its last keepBytes: for a stream
   * that hit its limit without a single final, whose whole tail would only hit the limit again.
   */
  abandonSent(keepBytes: number): number {
    const before = this.#bufferStart;
    this.#dropBefore(Math.max(this.#bufferStart, this.#sentHigh - Math.max(0, keepBytes - (keepBytes % 2))));
    return this.#bufferStart - before;
  }

  /** The gRPC stream ended (or was given up): results are no longer expected from it. */
  close(): void {
    this.#window = null;
  }

  /** A result from the open stream → the timeline; null when there is nothing to emit. */
  accept(raw: StreamRelativeResult): SpeechResult | null {
    const w = this.#window;
    if (w === null) return null;
    const offsetSec = w.startByte / this.#bps;
    // A stream cannot have recognized audio it was not sent.
    const endSec = round(offsetSec + Math.min(raw.resultEndSec, (w.sentByte - w.startByte) / this.#bps));
    const words: SpeechWord[] = raw.words.map((x) => ({
      word: x.word,
      startSec: round(Math.max(offsetSec + x.startSec, this.#lastFinalEndSec)),
      endSec: round(Math.max(offsetSec + x.endSec, this.#lastFinalEndSec)),
    }));
    const base = this.#lastFinalEndSec;
    const clampedEnd = Math.max(endSec, base);
    const startSec = Math.min(Math.max(words[0]?.startSec ?? base, base), clampedEnd);
    if (!raw.final) {
      if (raw.text === '') return null;
      return { final: false, text: raw.text, confidence: raw.confidence, startSec, endSec: clampedEnd, words };
    }
    const endByte = secondsToByte(endSec, this.#limits.sampleRateHertz);
    if (endByte <= this.#bufferStart) return null; // already confirmed: a repeat
    this.#dropBefore(Math.min(endByte, this.#written));
    this.#lastFinalEndSec = clampedEnd;
    if (raw.text === '') return null;
    return { final: true, text: raw.text, confidence: raw.confidence, startSec, endSec: clampedEnd, words };
  }

  #dropBefore(byte: number): void {
    let drop = byte - this.#bufferStart;
    while (drop > 0 && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= drop) {
        this.#chunks.shift();
        drop -= head.length;
        this.#bufferStart += head.length;
      } else {
        this.#chunks[0] = head.subarray(drop);
        this.#bufferStart += drop;
        drop = 0;
      }
    }
  }

  /** Timeline bytes [from, to) out of the unconfirmed buffer (from ≥ confirmedByte). */
  #slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let pos = this.#bufferStart;
    for (const chunk of this.#chunks) {
      const end = pos + chunk.length;
      if (end > from && pos < to) parts.push(chunk.subarray(Math.max(0, from - pos), Math.min(chunk.length, to - pos)));
      if (end >= to) break;
      pos = end;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
