/**
 * The waits every layer needs, each cut short by an AbortSignal and each leaving no timer or listener behind
 * once it settles: a sleep that throws on abort, a pause that just ends early, a race against a signal, a
 * deadline. An abort surfaces as the project's ScribaError('aborted').
 */
import { ScribaError } from '../domain/errors.ts';

/** ScribaError('aborted') carrying the signal's reason: "<what> was aborted", or "the operation was aborted". */
export function abortError(signal: AbortSignal | undefined, what?: string): ScribaError {
  const message = what === undefined ? 'the operation was aborted' : `${what} was aborted`;
  return new ScribaError('aborted', message, { cause: signal?.reason });
}

export interface WaitOptions {
  /** The timer does not keep the process alive (a background wait that must not hold up an exit). */
  readonly unref?: boolean;
}

/**
 * Calls `onAbort` once when the signal aborts (at once if it already has); returns the remover. Without a
 * signal nothing is registered.
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    listener();
    return () => undefined;
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. Never rejects. */
export function pause(ms: number, signal?: AbortSignal, options: WaitOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    let remove = (): void => undefined;
    const timer = setTimeout(() => done(), ms);
    if (options.unref === true) timer.unref();
    function done(): void {
      clearTimeout(timer);
      remove();
      resolve();
    }
    remove = onAbort(signal, done);
  });
}

/** Resolves after `ms`; rejects with abortError(signal, what) as soon as the signal aborts (also if it already has). */
export function sleep(ms: number, signal?: AbortSignal, options: WaitOptions & { readonly what?: string } = {}): Promise<void> {
  return raceSignal(pause(ms, signal, options), signal, (s) => abortError(s, options.what));
}

/**
 * Settles as `promise` does, or rejects with `reason(signal)` (default: the abort error) once the signal aborts
 * first, at once if it already has. The promise itself runs on; its late rejection is swallowed.
 */
export function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  reason: (signal: AbortSignal) => unknown = (s) => abortError(s),
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const remove = onAbort(signal, () => {
      promise.catch(() => undefined);
      reject(reason(signal));
    });
    promise.then(
      (value) => {
        remove();
        resolve(value);
      },
      (err: unknown) => {
        remove();
        reject(err);
      },
    );
  });
}

/** The error a deadline rejects with: "[<what> ]timed out after <ms> ms". */
export function deadlineError(ms: number, what?: string): Error {
  return new Error(`${what === undefined ? '' : `${what} `}timed out after ${ms} ms`);
}

/**
 * Settles as the work does, or rejects with deadlineError(ms, what) after `ms`. Work given as a function gets a
 * signal that aborts at the deadline, so it can stop what it started; a promise runs on, its late rejection
 * swallowed. The timer keeps the process alive until the race ends, on purpose.
 */
export async function withDeadline<T>(work: Promise<T> | ((signal: AbortSignal) => Promise<T>), ms: number, what?: string): Promise<T> {
  const expired = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = deadlineError(ms, what);
      expired.abort(err);
      reject(err);
    }, ms);
  });
  const pending = typeof work === 'function' ? work(expired.signal) : work;
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** True once `promise` resolves within `ms`, false when the time runs out first; its rejection passes through. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A signal that aborts after `ms` (reason: a TimeoutError DOMException) or when `parent` does, whichever is
 * first. Its timer never keeps the process alive (AbortSignal.timeout's).
 */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return parent === undefined ? timeout : AbortSignal.any([parent, timeout]);
}
