import { describe, expect, it } from 'vitest';
import {
  STOPPED_LOST_ERROR,
  decideClaim,
  decideStop,
  isLeaseExpired,
  leaseUntil,
  lostJobError,
  statusAfterFail,
  type ClaimDecision,
  type LeaseState,
} from '../../../src/queue/lease.ts';

describe('isLeaseExpired', () => {
  it.each([
    [1_000, 999, false],
    [1_000, 1_000, true],
    [1_000, 1_001, true],
    [null, 0, true],
  ] as const)('lease until %s at %s → %s', (until, now, expired) => {
    expect(isLeaseExpired(until, now)).toBe(expired);
  });

  it('leaseUntil adds the lease', () => {
    expect(leaseUntil(1_000, 300)).toBe(1_300);
  });
});

describe('decideClaim', () => {
  const job = (over: Partial<LeaseState>): LeaseState => ({
    status: 'active',
    attempts: 1,
    leaseUntilMs: 1_000,
    stopRequested: false,
    ...over,
  });
  const table: ReadonlyArray<readonly [string, LeaseState, number, ClaimDecision]> = [
    ['queued → claim', job({ status: 'queued', attempts: 0, leaseUntilMs: null }), 0, { kind: 'claim' }],
    ['requeued after a retryable failure → claim', job({ status: 'queued', attempts: 2, leaseUntilMs: null }), 0, { kind: 'claim' }],
    ['active with a live lease → skip', job({}), 999, { kind: 'skip' }],
    ['active, lease expired, attempts left → claim', job({}), 1_000, { kind: 'claim' }],
    ['active, lease expired, last attempt used → fail', job({ attempts: 3 }), 1_000, { kind: 'fail', error: lostJobError(3) }],
    ['active, lease expired, stop requested → fail', job({ stopRequested: true }), 1_000, { kind: 'fail', error: STOPPED_LOST_ERROR }],
    ['completed → skip', job({ status: 'completed', leaseUntilMs: null }), 5_000, { kind: 'skip' }],
    ['failed → skip', job({ status: 'failed', leaseUntilMs: null }), 5_000, { kind: 'skip' }],
  ];
  it.each(table)('%s', (_name, state, now, expected) => {
    expect(decideClaim(state, now, 3)).toEqual(expected);
  });

  it('says how often the job was lost', () => {
    expect(lostJobError(3)).toEqual({ message: 'worker lost the job 3 times (lease expired without renewal)', retryable: false });
    expect(lostJobError(1).message).toMatch(/lost the job once/);
  });
});

describe('statusAfterFail', () => {
  it.each([
    [{ attempts: 1, stopRequested: false, retryable: true }, 'queued'],
    [{ attempts: 2, stopRequested: false, retryable: true }, 'queued'],
    [{ attempts: 3, stopRequested: false, retryable: true }, 'failed'],
    [{ attempts: 1, stopRequested: false, retryable: false }, 'failed'],
    [{ attempts: 1, stopRequested: true, retryable: true }, 'failed'],
  ] as const)('%o → %s', (input, expected) => {
    expect(statusAfterFail(input, 3)).toBe(expected);
  });
});

describe('decideStop', () => {
  it.each([
    ['active', 'flag'],
    ['queued', 'fail'],
    ['completed', 'none'],
    ['failed', 'none'],
    [null, 'none'],
  ] as const)('%s → %s', (status, expected) => {
    expect(decideStop(status)).toBe(expected);
  });
});
