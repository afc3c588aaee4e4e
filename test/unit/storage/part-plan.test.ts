import { describe, expect, it } from 'vitest';
import { MiB, effectivePartSize, partSizeFor, planParts, type PlanInput } from '../../../src/storage/part-plan.ts';
import { backoffDelayMs, retrying, type RetryPolicy } from '../../../src/storage/retry.ts';
import { StorageError } from '../../../src/storage/object-store.ts';

const base: PlanInput = { uploadedEnd: 0, nextPartNumber: 1, available: 0, basePartSize: 10, maxParts: 10_000, final: false };

describe('part planning (pure)', () => {
  it('plans only whole parts while the file grows', () => {
    expect(planParts({ ...base, available: 9 })).toEqual([]);
    expect(planParts({ ...base, available: 10 })).toEqual([{ partNumber: 1, start: 0, end: 10 }]);
    expect(planParts({ ...base, available: 35 })).toEqual([
      { partNumber: 1, start: 0, end: 10 },
      { partNumber: 2, start: 10, end: 20 },
      { partNumber: 3, start: 20, end: 30 },
    ]);
    expect(planParts({ ...base, uploadedEnd: 30, nextPartNumber: 4, available: 39 })).toEqual([]);
  });

  it('adds the short last part at the end, and nothing when the file ends on a boundary', () => {
    expect(planParts({ ...base, uploadedEnd: 30, nextPartNumber: 4, available: 43, final: true })).toEqual([
      { partNumber: 4, start: 30, end: 40 },
      { partNumber: 5, start: 40, end: 43 },
    ]);
    expect(planParts({ ...base, uploadedEnd: 30, nextPartNumber: 4, available: 30, final: true })).toEqual([]);
    expect(planParts({ ...base, available: 0, final: true })).toEqual([]);
  });

  it('never plans past the bytes the file has, nor backwards', () => {
    for (let available = 0; available < 60; available += 1) {
      for (const final of [false, true]) {
        for (const plan of [
          planParts({ ...base, available, final }),
          planParts({ ...base, uploadedEnd: 20, nextPartNumber: 3, available, final }),
        ]) {
          let prev = -1;
          for (const p of plan) {
            expect(p.end).toBeLessThanOrEqual(available);
            expect(p.start).toBeGreaterThan(prev);
            prev = p.start;
          }
        }
      }
    }
    expect(planParts({ ...base, uploadedEnd: 20, nextPartNumber: 3, available: 12, final: true })).toEqual([]);
  });

  it('grows part sizes so the part limit is never reached', () => {
    expect(partSizeFor(1, 8 * MiB, 10_000)).toBe(8 * MiB);
    expect(partSizeFor(2000, 8 * MiB, 10_000)).toBe(8 * MiB);
    expect(partSizeFor(2001, 8 * MiB, 10_000)).toBe(16 * MiB);
    expect(partSizeFor(10_000, 8 * MiB, 10_000)).toBe(128 * MiB);
    expect(partSizeFor(50_000, 8 * MiB, Number.MAX_SAFE_INTEGER)).toBe(8 * MiB); // local store: no limit
    let capacity = 0;
    for (let n = 1; n <= 10_000; n += 1) capacity += partSizeFor(n, 8 * MiB, 10_000);
    expect(capacity / 1024 ** 3).toBeGreaterThan(480); // GiB (484): any recording fits
  });

  it('keeps the last allowed part number for the final part', () => {
    const nearEnd = { ...base, basePartSize: 10, maxParts: 3, uploadedEnd: 20, nextPartNumber: 3, available: 100 };
    expect(planParts(nearEnd)).toEqual([]);
    expect(planParts({ ...nearEnd, final: true })).toEqual([{ partNumber: 3, start: 20, end: 100 }]);
  });

  it('raises the part size to the store minimum', () => {
    expect(effectivePartSize(1 * MiB, 5 * MiB)).toBe(5 * MiB);
    expect(effectivePartSize(8 * MiB, 5 * MiB)).toBe(8 * MiB);
    expect(effectivePartSize(0, 1)).toBe(8 * MiB);
  });
});

describe('retry back-off (pure) and loop', () => {
  const policy: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, giveUpAfterMs: Infinity };

  it('doubles up to the cap, with jitter in [50 %, 100 %]', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    expect(backoffDelayMs(1, policy, () => 0)).toBe(250);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(1500);
  });

  it('retries only retryable StorageErrors', async () => {
    const slept: number[] = [];
    const ctx = {
      policy,
      signal: new AbortController().signal,
      sleep: async (ms: number) => void slept.push(ms),
      now: () => 0,
      random: () => 1,
    };
    let calls = 0;
    const ok = await retrying(async () => {
      calls += 1;
      if (calls < 3) throw new StorageError('unavailable', 'down');
      return 'done';
    }, ctx);
    expect(ok).toEqual({ value: 'done', failures: 2 });
    expect(slept).toEqual([500, 1000]);
    await expect(retrying(async () => Promise.reject(new StorageError('rejected', 'no')), ctx)).rejects.toMatchObject({
      reason: 'rejected',
    });
    await expect(retrying(async () => Promise.reject(new TypeError('bug')), ctx)).rejects.toThrow(TypeError);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const ctx = {
      policy,
      signal: controller.signal,
      sleep: async () => controller.abort(),
      now: () => 0,
    };
    await expect(retrying(async () => Promise.reject(new StorageError('unavailable', 'down')), ctx)).rejects.toMatchObject({
      reason: 'aborted',
    });
  });
});

describe('part planning with cut points (pure)', () => {
  it('ends each part at the first cut at least a part size in, and waits for one', () => {
    const cuts = [3, 8, 12, 19, 27, 31];
    expect(planParts({ ...base, available: 31, cuts })).toEqual([
      { partNumber: 1, start: 0, end: 12 },
      { partNumber: 2, start: 12, end: 27 },
    ]);
    expect(planParts({ ...base, available: 26, cuts })).toEqual([{ partNumber: 1, start: 0, end: 12 }]);
    expect(planParts({ ...base, uploadedEnd: 12, nextPartNumber: 2, available: 26, cuts })).toEqual([]);
    // At the end the rest goes as it is.
    expect(planParts({ ...base, uploadedEnd: 27, nextPartNumber: 3, available: 33, cuts, final: true })).toEqual([
      { partNumber: 3, start: 27, end: 33 },
    ]);
  });
});
