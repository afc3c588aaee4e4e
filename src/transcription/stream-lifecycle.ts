/**
 * The life of one network speech stream (vosk-engine.ts, google-engine.ts): writes accepted until end() or
 * abort; end() arms a deadline for the engine's last result; the first of finish/fail settles `results` and
 * end() once; the caller's signal aborts; reconnections wait out a bounded back-off. What is engine-specific
 * (its connection or call, its own timers) is dropped by `release`, called once when the stream settles.
 */
import { onAbort } from '../lib/abort.ts';
import { ResultChannel } from './result-channel.ts';
import type { SpeechResult } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';

export interface StreamLifecycleOptions {
  /** 'Vosk' | 'Google': for the end() deadline's message. */
  readonly engine: string;
  readonly label: string;
  readonly signal: AbortSignal;
  readonly endTimeoutMs: number;
  /** Drops the engine's connection and timers; called once, on finish or failure. */
  readonly release: () => void;
  /** The engine forgets the stream. */
  readonly onGone: () => void;
}

export class StreamLifecycle {
  readonly results = new ResultChannel<SpeechResult>();
  readonly #o: StreamLifecycleOptions;
  readonly #ended: Promise<void>;
  #resolveEnd!: () => void;
  #rejectEnd!: (err: unknown) => void;
  #ending = false;
  #settled = false;
  #endTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  #stopListening = (): void => undefined;

  constructor(options: StreamLifecycleOptions) {
    this.#o = options;
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#resolveEnd = resolve;
      this.#rejectEnd = reject;
    });
    this.#ended.catch(() => {}); // reported through end() and results; never an unhandled rejection
    // Deferred: the engine registers the stream only after construction.
    if (options.signal.aborted) queueMicrotask(() => this.abort());
    else this.#stopListening = onAbort(options.signal, () => this.abort());
  }

  get ending(): boolean {
    return this.#ending;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** write() takes audio: not ending, not settled, not aborted. */
  get accepting(): boolean {
    return !this.#ending && !this.#settled && !this.#o.signal.aborted;
  }

  /** A back-off is running: nothing is sent until it has. */
  get retrying(): boolean {
    return this.#retryTimer !== null;
  }

  /** Starts ending (once): `onEnding` sends what is left; the engine then has endTimeoutMs to finish. */
  end(onEnding: () => void): Promise<void> {
    if (this.#o.signal.aborted) this.abort(); // before the deferred abort of a signal aborted at start
    if (!this.#ending && !this.#settled) {
      this.#ending = true;
      const ms = this.#o.endTimeoutMs;
      this.#endTimer = setTimeout(
        () => this.fail(new SpeechEngineError('unavailable', `${this.#o.engine} did not finish ${this.#o.label} within ${ms} ms of end()`)),
        ms,
      );
      onEnding();
    }
    return this.#ended;
  }

  abort(): void {
    this.fail(speechAborted(this.#o.label));
  }

  /** A result came through: the back-off starts over. */
  succeeded(): void {
    this.#failures = 0;
  }

  /**
   * After a failure: runs `retry` after the next delay, or fails the stream with giveUp(failures in a row) when
   * the delays are spent. Returns the delay, or null when it gave up.
   */
  retryAfter(delaysMs: readonly number[], retry: () => void, giveUp: (failures: number) => unknown): number | null {
    const delay = delaysMs[this.#failures];
    this.#failures += 1;
    if (delay === undefined) {
      this.fail(giveUp(this.#failures));
      return null;
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      retry();
    }, delay);
    return delay;
  }

  finish(): void {
    if (!this.#settle()) return;
    this.results.close();
    this.#resolveEnd();
  }

  fail(err: unknown): void {
    if (!this.#settle()) return;
    this.results.fail(err);
    this.#rejectEnd(err);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    for (const t of [this.#retryTimer, this.#endTimer]) if (t !== null) clearTimeout(t);
    this.#retryTimer = this.#endTimer = null;
    this.#stopListening();
    this.#o.release();
    this.#o.onGone();
    return true;
  }
}
