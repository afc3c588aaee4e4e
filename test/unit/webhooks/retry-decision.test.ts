import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryDecision, type RetryPolicy } from '../../../src/webhooks/retry-decision.ts';

const policy: RetryPolicy = { initialBackoffMs: 1_000, maxBackoffMs: 300_000, giveUpAfterMs: 86_400_000 };
const almostOne = () => 0.999_999_999;

describe('backoffDelayMs (full jitter)', () => {
  it('the ceiling doubles from the initial delay up to the maximum', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 1_000].map((n) => Math.ceil(backoffDelayMs(n, policy, almostOne) / 1000) * 1000);
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('draws uniformly below the ceiling', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(2_000);
    expect(backoffDelayMs(3, policy, () => 0.25)).toBe(1_000);
  });

  it('treats a first failure (and nonsense counts) as attempt 1', () => {
    expect(backoffDelayMs(0, policy, () => 0.5)).toBe(500);
    expect(backoffDelayMs(-3, policy, () => 0.5)).toBe(500);
  });

  it('never overflows on huge attempt counts', () => {
    expect(backoffDelayMs(1e9, policy, () => 0.5)).toBe(150_000);
  });
});

describe('retryDecision', () => {
  const small: RetryPolicy = { initialBackoffMs: 100, maxBackoffMs: 1_000, giveUpAfterMs: 10_000 };
  it.each([
    [
      'retryable, early → retry after the jittered delay',
      { attempts: 1, firstQueuedMs: 0, nowMs: 500, retryable: true },
      { kind: 'retry', nextAttemptMs: 550 },
    ],
    [
      'later attempts wait longer',
      { attempts: 4, firstQueuedMs: 0, nowMs: 2_000, retryable: true },
      { kind: 'retry', nextAttemptMs: 2_400 },
    ],
    [
      'the last retry lands on the horizon',
      { attempts: 9, firstQueuedMs: 0, nowMs: 9_800, retryable: true },
      { kind: 'retry', nextAttemptMs: 10_000 },
    ],
    ['at the horizon → abandon', { attempts: 10, firstQueuedMs: 0, nowMs: 10_000, retryable: true }, { kind: 'abandon', why: 'gave_up' }],
    ['past the horizon → abandon', { attempts: 2, firstQueuedMs: 0, nowMs: 50_000, retryable: true }, { kind: 'abandon', why: 'gave_up' }],
    [
      'not retryable → abandon at once',
      { attempts: 1, firstQueuedMs: 0, nowMs: 1, retryable: false },
      { kind: 'abandon', why: 'permanent' },
    ],
  ] as const)('%s', (_name, failed, expected) => {
    expect(retryDecision(failed, small, () => 0.5)).toEqual(expected);
  });
});
