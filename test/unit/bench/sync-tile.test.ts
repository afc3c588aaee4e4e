import { describe, expect, it } from 'vitest';
import { nearestOffset, offsetsPerWindow } from '../../../bench/lib/sync-tile.ts';
import { pairs } from '../../../bench/drift.ts';
import { slope } from '../../../bench/lib/least-squares.ts';

/** A sync-tile pulse train: flashes each second (300 ms every 18 s), beeps `offset(t)` seconds later. */
function train(seconds: number, offset: (t: number) => number) {
  const flashes = [];
  const beeps = [];
  for (let s = 1; s < seconds; s++) {
    const dur = s % 18 === 0 ? 0.3 : 0.1;
    flashes.push({ t: s, dur });
    beeps.push({ t: s + offset(s), dur });
  }
  return { flashes, beeps };
}

describe('drift analysis', () => {
  it("gives the offset per window, anchored by the whole recording's marker", () => {
    const w = offsetsPerWindow(
      train(600, (t) => 0.02 + t * 0.0001),
      120,
    );
    expect(w.map((x) => x.fromSec)).toEqual([0, 120, 240, 360, 480]);
    expect(w[0]!.offsetMs).toBeCloseTo(26, 0);
    expect(w[4]!.offsetMs).toBeCloseTo(74, 0);
    expect(w.every((x) => x.pairs >= 100)).toBe(true);
  });

  it('finds a drift well below one frame as a least-squares slope', () => {
    // 5 ms over 10 min, quantised to 33 ms frames as a 30 fps picture would show it.
    const p = train(600, (t) => Math.round((0.01 + (t / 600) * 0.005) * 30) / 30 + ((t * 7) % 3) / 1000);
    const points = pairs(p.flashes, p.beeps, 0.01);
    expect(points.length).toBeGreaterThan(500);
    expect(Math.abs(slope(points)!)).toBeLessThan(0.0001);
    expect(slope(pairs(train(600, (t) => 0.01 + t * 0.00005).flashes, train(600, (t) => 0.01 + t * 0.00005).beeps, 0.01))).toBeCloseTo(
      0.00005,
      6,
    );
    expect(slope([])).toBeNull();
  });

  it('without a marker, pairs each flash with the nearest beep in the window', () => {
    const p = train(30, () => -0.04);
    expect(nearestOffset(p.flashes, p.beeps, 0.5)).toMatchObject({ offsetMs: -40, pairs: 29, markerOffsetMs: null });
    expect(nearestOffset(p.flashes, p.beeps, 0.02).offsetMs).toBeNull();
  });
});
