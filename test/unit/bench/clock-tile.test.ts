import { describe, expect, it } from 'vitest';
import { clockAv, latenessOf, latenessPerWindow, latenessSlopeMsPer30Min } from '../../../bench/lib/clock-tile.ts';
import { clockMarkMs } from '../../../src/demo-meeting/demo-meeting-server.ts';

describe('wall-clock tile lateness', () => {
  it('places each flash on the wall clock through the file’s zero, against its second’s mark', () => {
    // The file starts 250 ms into a wall-clock second whose mark is the second itself (step 0 of 10).
    const cap = 1_796_000_009_250;
    expect(clockMarkMs(1_796_000_010_000)).toBe(1_796_000_010_000);
    // Each following second's mark is a tenth of a 30 fps frame later, then it starts again.
    expect(clockMarkMs(1_796_000_011_000) - 1_796_000_011_000).toBeCloseTo(100 / 30, 3);
    expect(clockMarkMs(1_796_000_019_000) - 1_796_000_019_000).toBeCloseTo(30, 3);
    expect(clockMarkMs(1_796_000_020_000)).toBe(1_796_000_020_000);
    // A flash at 0.85 s is the next second's, 100 ms late; then −3.3 ms and 150 − 6.7 ms.
    expect(latenessOf([0.85, 1.75, 2.9], cap)).toEqual([
      { t: 0.85, ms: 100 },
      { t: 1.75, ms: -3.3 },
      { t: 2.9, ms: 143.3 },
    ]);
    // More than half a second late reads as early for the next second.
    expect(latenessOf([0.3], cap)[0]!.ms).toBe(-450);
  });

  it('reads the picture’s and the sound’s lateness and their difference, after the first second', () => {
    const flashes = [0.5, 1.5, 2.5, 3.5].map((t, i) => ({ t, ms: [400, 100, 120, 110][i]! }));
    const beeps = [1.5, 2.5, 3.5].map((t) => ({ t, ms: 70 }));
    expect(clockAv(flashes, beeps)).toEqual({ videoLateMs: 110, audioLateMs: 70, offsetMs: -40, flashes: 4, beeps: 3 });
    expect(clockAv(flashes, []).offsetMs).toBeNull();
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
