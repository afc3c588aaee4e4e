import { describe, expect, it } from 'vitest';
import { emptyLongEnough, trackEmpty } from '../../../src/browser/empty-call-watch.ts';

describe('empty-call watch (every second, fake clock)', () => {
  it('stops within the timeout plus one tick of the last participant leaving', () => {
    // Counts sampled once a second; the last participant leaves at t=6 s; timeout 4 s.
    const counts = [3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1];
    let since: number | null = null;
    let stoppedAt: number | null = null;
    counts.forEach((count, i) => {
      const now = i * 1000;
      since = trackEmpty(since, count, now);
      if (stoppedAt === null && emptyLongEnough(since, now, 4000)) stoppedAt = now;
    });
    expect(stoppedAt).toBe(10_000);
    expect(stoppedAt! - 6000).toBeLessThanOrEqual(4000 + 2000);
  });

  it('an unknown count neither starts nor resets the run; a rejoin resets it', () => {
    expect(trackEmpty(null, null, 5)).toBeNull();
    expect(trackEmpty(1000, null, 5000)).toBe(1000);
    expect(trackEmpty(1000, 2, 5000)).toBeNull();
    expect(trackEmpty(null, 1, 7000)).toBe(7000);
    expect(emptyLongEnough(null, 1e9, 0)).toBe(false);
    expect(emptyLongEnough(0, 0, 0)).toBe(true);
  });
});
