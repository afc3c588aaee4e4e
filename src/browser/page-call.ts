/**
 * One call into the meeting page (an evaluation, a navigation, a binding) raced against its timeout, the page's
 * death and an AbortSignal. Never rejects: the result says which came first. A late result is ignored, a late
 * rejection swallowed, and every timer and listener is removed when the race ends.
 */
import type { ScribaError } from '../domain/errors.ts';
import { onAbort } from '../lib/abort.ts';
import type { PageDeath } from './page-death.ts';

export type PageCallResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'dead'; error: ScribaError }
  | { kind: 'aborted' };

export interface PageCallOptions {
  death: Pick<PageDeath, 'error' | 'subscribe'>;
  /** Without it, no time limit (e.g. a navigation, which has its own). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Runs `work` unless the page is dead or the signal aborted already (then `work` is not started). */
export async function pageCall<T>(work: () => Promise<T>, opts: PageCallOptions): Promise<PageCallResult<T>> {
  const { death, timeoutMs, signal } = opts;
  const dead = death.error;
  if (dead) return { kind: 'dead', error: dead };
  if (signal?.aborted) return { kind: 'aborted' };
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe = (): void => undefined;
  let stopListening = (): void => undefined;
  let pending: Promise<T>;
  try {
    pending = work();
  } catch (error) {
    pending = Promise.reject(error);
  }
  const racers: Array<Promise<PageCallResult<T>>> = [
    pending.then(
      (value): PageCallResult<T> => ({ kind: 'ok', value }),
      (error: unknown): PageCallResult<T> => ({ kind: 'failed', error }),
    ),
  ];
  if (timeoutMs !== undefined) {
    racers.push(
      new Promise((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, timeoutMs));
      }),
    );
  }
  racers.push(
    new Promise((resolve) => {
      unsubscribe = death.subscribe((error) => resolve({ kind: 'dead', error }));
    }),
  );
  if (signal) {
    racers.push(
      new Promise((resolve) => {
        stopListening = onAbort(signal, () => resolve({ kind: 'aborted' }));
      }),
    );
  }
  try {
    return await Promise.race(racers);
  } finally {
    clearTimeout(timer);
    unsubscribe();
    stopListening();
  }
}

/** The first line of a failed call's error (puppeteer's messages go on with protocol detail). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
}
