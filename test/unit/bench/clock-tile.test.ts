import { describe, expect, it } from 'vitest';
import { latenessOf, latenessPerWindow, latenessSlopeMsPer30Min } from '../../../bench/lib/clock-tile.ts';

describe('wall-clock tile lateness', () => {
  it('places each flash on the wall clock through the file’s zero and wraps around the second', () => {
    // The file starts 250 ms into a wall-clock second: a flash at 0.85 s is the next second's, 100 ms late.
    const cap = 1_796_000_000_250;
    expect(latenessOf([0.85, 1.75, 2.9], cap)).toEqual([
      { t: 0.85, ms: 100 },
      { t: 1.75, ms: 0 },
      { t: 2.9, ms: 150 },
    ]);
    // More than half a second late reads as early for the next second.
    expect(latenessOf([1.3], cap)[0]!.ms).toBe(-450);
  });

  it('takes the median per window, skipping the first second, and the slope per 30 minutes', () => {
    const points = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5].map((t, i) => ({ t, ms: [900, 100, 110, 90, 130, 120][i]! }));
    expect(latenessPerWindow(points, 3)).toEqual([
      { fromSec: 0, toSec: 3, medianMs: 110, flashes: 2 },
      { fromSec: 3, toSec: 6, medianMs: 120, flashes: 3 },
    ]);
    // 2 ms more every 60 s → 60 ms per 30 minutes.
    const drifting = Array.from({ length: 30 }, (_, i) => ({ t: 1 + i * 60, ms: 100 + 2 * i }));
    expect(latenessSlopeMsPer30Min(drifting)).toBe(60);
    expect(latenessSlopeMsPer30Min([{ t: 5, ms: 1 }])).toBeNull();
  });
});
