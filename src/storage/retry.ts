/**
 * Retrying storage operations while the store is down: exponential back-off with jitter (pure), and a loop
 * that retries only StorageErrors marked retryable, with injected sleep and clock so tests take no time.
 */
import { pause } from '../lib/abort.ts';
import { StorageError, abortedError } from './object-store.ts';

export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up once the store has been failing this long (Infinity: until the signal aborts). */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, giveUpAfterMs: Infinity };

/** Resolves after `ms`, or as soon as the signal aborts (never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) => pause(ms, signal);

/**
 * Delay before the next attempt after `failures` consecutive failures (1, 2, …): initial × 2^(failures-1),
 * capped, then scaled into [50 %, 100 %] by `random` so many workers recovering together do not stampede.
 */
export function backoffDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = policy.initialDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped * (0.5 + 0.5 * random()));
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  readonly sleep: Sleep;
  readonly now: () => number;
  readonly random?: () => number;
  /** Called before each wait. */
  readonly onRetry?: (err: StorageError, failures: number, delayMs: number) => void;
}

export function isRetryable(err: unknown): err is StorageError {
  return err instanceof StorageError && err.retryable;
}

/** Runs `op` until it succeeds, fails with a non-retryable error, the policy gives up, or the signal aborts. */
export async function retrying<T>(op: () => Promise<T>, ctx: RetryContext): Promise<{ value: T; failures: number }> {
  let failures = 0;
  let firstFailureAt = 0;
  for (;;) {
    if (ctx.signal.aborted) throw abortedError(ctx.signal.reason);
    try {
      return { value: await op(), failures };
    } catch (err) {
      if (ctx.signal.aborted) throw abortedError(err);
      if (!isRetryable(err)) throw err;
      failures += 1;
      if (failures === 1) firstFailureAt = ctx.now();
      const delayMs = backoffDelayMs(failures, ctx.policy, ctx.random);
      if (ctx.now() + delayMs - firstFailureAt > ctx.policy.giveUpAfterMs) throw err;
      ctx.onRetry?.(err, failures, delayMs);
      await ctx.sleep(delayMs, ctx.signal);
    }
  }
}
