/**
 * Keeps `size` items started ahead so a session can take one instead of waiting for its own start. An item
 * is handed out once and never comes back (the taker discards it); each take, death or failed start makes
 * the pool start another in the background. Side effects are injected: warm-env.ts gives the real ones,
 * unit tests fakes.
 */
import type { Logger } from '../log/logger.ts';

export interface WarmPoolDeps<T> {
  /** How many items to keep ready (0: the pool stays empty). */
  readonly size: number;
  start(signal: AbortSignal): Promise<T>;
  /** Resolves when an item stopped being usable (a process of it died). */
  whenDead(item: T): Promise<unknown>;
  /** Stops an item that will not be handed out. Must not reject. */
  discard(item: T): Promise<void>;
  readonly log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** First delay before starting again after a failed start; doubles up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

export interface WarmPoolStats {
  /** Items ready to take now. */
  readonly ready: number;
  /** Items being started. */
  readonly starting: number;
  /** Items handed out since the pool started. */
  readonly taken: number;
}

export class WarmPool<T> {
  readonly #d: WarmPoolDeps<T>;
  /** Ready items only: one that dies while idle leaves at once. */
  readonly #ready: T[] = [];
  readonly #abort = new AbortController();
  /** Starts and discards under way: close() waits for them. */
  readonly #busy = new Set<Promise<unknown>>();
  #starting = 0;
  #taken = 0;
  #failures = 0;
  #retry: NodeJS.Timeout | null = null;
  #closed: Promise<void> | null = null;

  constructor(deps: WarmPoolDeps<T>) {
    this.#d = deps;
  }

  /** Starts filling the pool in the background. */
  start(): void {
    this.#fill();
  }

  stats(): WarmPoolStats {
    return { ready: this.#ready.length, starting: this.#starting, taken: this.#taken };
  }

  /** A ready item, or null when none is (the caller starts its own); starts a replacement. */
  take(): T | null {
    if (this.#closed) return null;
    const item = this.#ready.shift();
    if (item === undefined) return null;
    this.#taken += 1;
    this.#fill();
    return item;
  }

  /** Stops filling, aborts starts under way, discards every ready item. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#abort.abort(new Error('the warm pool is closing'));
      if (this.#retry) clearTimeout(this.#retry);
      for (const item of this.#ready.splice(0)) this.#track(this.#d.discard(item));
      while (this.#busy.size > 0) await Promise.allSettled([...this.#busy]);
    })();
    return this.#closed;
  }

  #track(p: Promise<unknown>): void {
    this.#busy.add(p);
    void p.finally(() => this.#busy.delete(p)).catch(() => undefined);
  }

  #fill(): void {
    while (!this.#closed && this.#retry === null && this.#ready.length + this.#starting < this.#d.size) this.#startOne();
  }

  #startOne(): void {
    this.#starting += 1;
    const signal = this.#abort.signal;
    this.#track(
      this.#d.start(signal).then(
        (item) => {
          this.#starting -= 1;
          this.#failures = 0;
          if (this.#closed) return this.#d.discard(item);
          this.#ready.push(item);
          void this.#d.whenDead(item).then((why) => this.#died(item, why));
          this.#d.log.debug({ ready: this.#ready.length }, 'warm capture environment ready');
          return undefined;
        },
        (err: unknown) => {
          this.#starting -= 1;
          if (this.#closed) return;
          this.#failures += 1;
          const base = this.#d.retryDelayMs ?? 1000;
          const delay = Math.min(base * 2 ** (this.#failures - 1), this.#d.maxRetryDelayMs ?? 60_000);
          this.#d.log.warn({ err, retryInMs: delay }, 'could not start a warm capture environment');
          // One timer for the whole pool: a broken host retries slowly instead of spinning.
          this.#retry ??= setTimeout(() => {
            this.#retry = null;
            this.#fill();
          }, delay);
          this.#retry.unref();
        },
      ),
    );
  }

  /** An idle item died: it is dropped, never handed out, and replaced. A taken one is its taker's business. */
  #died(item: T, why: unknown): void {
    const at = this.#ready.indexOf(item);
    if (at < 0) return;
    this.#ready.splice(at, 1);
    this.#d.log.warn({ why }, 'a warm capture environment died while idle; replacing it');
    this.#track(this.#d.discard(item));
    this.#fill();
  }
}
