/**
 * Pure lease and status decisions shared by the queue implementations. Everything takes `now` (ms) as a
 * parameter; nothing here reads a clock or touches storage.
 *
 * Lease semantics (embedded queue, and what the conformance suite expects of every queue):
 * - A claim sets `leaseUntilMs = now + leaseMs` and a fresh token. The token, not the clock, decides who owns
 *   the job: renew/complete/fail succeed while the job is active with that token.
 * - A lease is expired once `now >= leaseUntilMs`. An expired job stays active (and its holder may still renew
 *   or finish it, late) until a claimer takes it over: that claim replaces the token, so the old holder's
 *   renew/complete/fail are refused from then on.
 * - An expired job that already had its last attempt, or whose stop was requested, is not handed out again:
 *   it fails (lost-worker or stopped error). That decision is applied by any queue operation that sweeps.
 */
import type { JobStatus } from './job-queue.ts';

export function isLeaseExpired(leaseUntilMs: number | null, nowMs: number): boolean {
  return leaseUntilMs === null || nowMs >= leaseUntilMs;
}

export function leaseUntil(nowMs: number, leaseMs: number): number {
  return nowMs + leaseMs;
}

export interface LeaseState {
  readonly status: JobStatus;
  readonly attempts: number;
  readonly leaseUntilMs: number | null;
  readonly stopRequested: boolean;
}

export type JobError = { readonly message: string; readonly retryable: boolean };

/** What to do with a job found while looking for work. */
export type ClaimDecision = { readonly kind: 'claim' } | { readonly kind: 'skip' } | { readonly kind: 'fail'; readonly error: JobError };

export function lostJobError(attempts: number): JobError {
  const times = attempts === 1 ? 'once' : `${attempts} times`;
  return { message: `worker lost the job ${times} (lease expired without renewal)`, retryable: false };
}

export const STOPPED_LOST_ERROR: JobError = {
  message: 'stop requested and the worker holding the job was lost',
  retryable: false,
};

export const STOPPED_BEFORE_START_ERROR: JobError = { message: 'stopped before it started', retryable: false };

/** Decides whether a job can be claimed now, must be failed (lease lost too often / stop requested), or neither. */
export function decideClaim(job: LeaseState, nowMs: number, maxAttempts: number): ClaimDecision {
  if (job.status === 'queued') return { kind: 'claim' };
  if (job.status !== 'active' || !isLeaseExpired(job.leaseUntilMs, nowMs)) return { kind: 'skip' };
  if (job.stopRequested) return { kind: 'fail', error: STOPPED_LOST_ERROR };
  if (job.attempts >= maxAttempts) return { kind: 'fail', error: lostJobError(job.attempts) };
  return { kind: 'claim' };
}

/** Status after the holder reports a failure. A stop-requested job is never retried. */
export function statusAfterFail(
  input: { readonly attempts: number; readonly stopRequested: boolean; readonly retryable: boolean },
  maxAttempts: number,
): 'queued' | 'failed' {
  return input.retryable && !input.stopRequested && input.attempts < maxAttempts ? 'queued' : 'failed';
}

/** What a stop request does to a job in the given status (null: the job does not exist). */
export type StopDecision = 'flag' | 'fail' | 'none';

export function decideStop(status: JobStatus | null): StopDecision {
  switch (status) {
    case 'active':
      return 'flag';
    case 'queued':
      return 'fail';
    case 'completed':
    case 'failed':
    case null:
      return 'none';
    default: {
      const never: never = status;
      return never;
    }
  }
}
