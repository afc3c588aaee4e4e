import { describe, expect, it } from 'vitest';
import { beepPulses, flashPulses, measureOffset } from '../../../bench/lib/av-sync.ts';

const RATE = 48000;

/** A pulse train like sync.webm: 100 ms each second, 300 ms at the start of every 18 s cycle. */
function beepTrack(seconds: number, offsetSec: number): Float32Array {
  const out = new Float32Array(RATE * seconds);
  for (let s = 1; s < seconds; s++) {
    const start = Math.round((s + offsetSec) * RATE);
    const len = s % 18 === 0 ? 0.3 : 0.1;
    for (let i = 0; i < RATE * len && start + i < out.length; i++) out[start + i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / RATE);
  }
  for (let i = 0; i < out.length; i++) out[i]! += 0.02 * Math.sin(i * 0.031) * Math.sin(i * 0.0007); // background
  return out;
}

function lumaTrack(seconds: number, fps = 30): number[] {
  return Array.from({ length: seconds * fps }, (_, n) => {
    const s = Math.floor(n / fps);
    const frame = n % fps;
    return s > 0 && frame < (s % 18 === 0 ? 9 : 3) ? 235 : 16;
  });
}

describe('A/V offset analysis', () => {
  it('finds flashes and their lengths in per-frame luma', () => {
    const flashes = flashPulses(lumaTrack(20), 30);
    expect(flashes).toHaveLength(19);
    expect(flashes[0]).toEqual({ t: 1, dur: 0.1 });
    expect(flashes[17]).toEqual({ t: 18, dur: 0.3 });
  });
  it('places flashes at their frames’ own times when given them (a recording’s stretched first frame)', () => {
    // As in every recording: the first frame lasts 840/15360 s, the others 512/15360 s (frame k ≥ 1 at k/30 + 21.35 ms).
    const times = Array.from({ length: 600 }, (_, k) => (k === 0 ? 0 : (328 + 512 * k) / 15360));
    const flashes = flashPulses(lumaTrack(20), times);
    expect(flashes).toHaveLength(19);
    expect(flashes[0]!.t).toBeCloseTo(1 + 328 / 15360, 6);
    expect(flashes[0]!.dur).toBeCloseTo(0.1, 6);
    // The last frame lasts as long as the one before it; fewer times than values: only the timed frames count.
    const last = flashPulses([16, 235, 235], [0, 0.04, 0.08]);
    expect(last).toHaveLength(1);
    expect(last[0]!.t).toBe(0.04);
    expect(last[0]!.dur).toBeCloseTo(0.08, 9);
    expect(flashPulses([16, 16, 235, 16], [0, 0.04])).toEqual([]);
  });
  it('finds 1 kHz beeps within 5 ms, with their lengths', () => {
    const beeps = beepPulses(beepTrack(20, 0.2), RATE);
    expect(beeps).toHaveLength(19);
    beeps.forEach((b, i) => expect(Math.abs(b.t - (i + 1.2))).toBeLessThanOrEqual(0.006));
    expect(beeps[17]!.dur).toBeGreaterThan(0.25);
  });
  it.each([0.04, -0.6, 0.45, -0.35])('measures an offset of %s s unambiguously', (offset) => {
    const result = measureOffset(flashPulses(lumaTrack(40), 30), beepPulses(beepTrack(40, offset), RATE));
    expect(result.offsetMs).not.toBeNull();
    expect(Math.abs(result.offsetMs! - offset * 1000)).toBeLessThanOrEqual(6);
    expect(result.pairs).toBeGreaterThan(30);
  });
  it('reports nothing without markers', () => {
    expect(measureOffset([{ t: 1, dur: 0.1 }], [{ t: 1.05, dur: 0.1 }]).offsetMs).toBeNull();
  });
});
