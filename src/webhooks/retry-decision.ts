/**
 * Pure retry policy of one webhook row: exponential back-off with full jitter (each delay uniform in
 * [0, min(max, initial · 2^(n-1))]; jitter spreads retries so a recovering receiver is not hit by every
 * sender at once), and a give-up horizon measured from when the event was first queued.
 */

export interface RetryPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly giveUpAfterMs: number;
}

/** Delay before the next attempt after `failedAttempts` failures (≥ 1). `random` is in [0, 1). */
export function backoffDelayMs(
  failedAttempts: number,
  policy: Pick<RetryPolicy, 'initialBackoffMs' | 'maxBackoffMs'>,
  random: () => number,
): number {
  // Exponent capped: 2^52 already exceeds any sane maximum, and larger ones overflow to Infinity.
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 52);
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly nextAttemptMs: number }
  | { readonly kind: 'abandon'; readonly why: 'gave_up' | 'permanent' };

export interface FailedAttempt {
  /** Attempts made so far, including the one that just failed. */
  readonly attempts: number;
  readonly firstQueuedMs: number;
  readonly nowMs: number;
  /** False when no later attempt can succeed (e.g. a refused address literal). */
  readonly retryable: boolean;
}

/** What to do after a failed attempt. */
export function retryDecision(failed: FailedAttempt, policy: RetryPolicy, random: () => number): RetryDecision {
  if (!failed.retryable) return { kind: 'abandon', why: 'permanent' };
  const horizon = failed.firstQueuedMs + policy.giveUpAfterMs;
  if (failed.nowMs >= horizon) return { kind: 'abandon', why: 'gave_up' };
  // The last attempt lands on the horizon itself, so an event is abandoned on time rather than up to
  // maxBackoffMs late.
  return { kind: 'retry', nextAttemptMs: Math.min(failed.nowMs + backoffDelayMs(failed.attempts, policy, random), horizon) };
}
