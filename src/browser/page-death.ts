/** A meeting tab's death (closed, renderer crashed, browser disconnected), latched once. */
import type { ScribaError } from '../domain/errors.ts';

/** The first reason wins; `promise` resolves with it; each listener hears it once. */
export class PageDeath {
  #error: ScribaError | null = null;
  #resolve: (error: ScribaError) => void = () => undefined;
  /** Listeners of in-flight calls; each removes itself when its call ends, so hours of polling keep nothing. */
  readonly #listeners = new Set<(error: ScribaError) => void>();
  /** Resolves (never rejects) with the reason when the page dies; stays pending while it lives. */
  readonly promise: Promise<ScribaError>;

  constructor() {
    this.promise = new Promise<ScribaError>((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** The reason once dead, else null. */
  get error(): ScribaError | null {
    return this.#error;
  }

  /** Calls `listener` when the page dies (at once when it is dead already); returns its removal. */
  subscribe(listener: (error: ScribaError) => void): () => void {
    if (this.#error) {
      listener(this.#error);
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Latches `error` unless dead already; returns the reason the page died of. */
  mark(error: ScribaError): ScribaError {
    if (this.#error) return this.#error;
    this.#error = error;
    this.#resolve(error);
    for (const listener of [...this.#listeners]) listener(error);
    this.#listeners.clear();
    return error;
  }
}

/** Errors that mean the tab or the DevTools connection is gone (not merely a navigation). */
export function isDeathError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TargetCloseError' || err.name === 'ConnectionClosedError') return true;
  return /Target closed|Session closed|Connection closed|has been closed|browser has disconnected|Page crashed|Target crashed/i.test(
    err.message,
  );
}
