/**
 * A/V offset from the synthetic meeting's sync tile: it flashes white for 100 ms each second while a 1 kHz
 * beep sounds for the same 100 ms, and the first pulse of every 18 s cycle lasts 300 ms in both. The long
 * marker pulses give the offset unambiguously (a 1 s period alone cannot tell −600 ms from +400 ms); the
 * short ones then refine it. Reported as the median (audio − video); positive = audio later than picture.
 */

export interface Pulse {
  /** onset, seconds */
  readonly t: number;
  /** length, seconds */
  readonly dur: number;
}

/**
 * Flashes in per-frame mean luma: onset and length of every run of bright frames. `timing` is the frame rate
 * (frame i at i / fps) or each frame's own presentation time (s; a recording's frames are not on i / fps,
 * see videoFrameTimes in extract.ts).
 */
export function flashPulses(luma: readonly number[], timing: number | readonly number[], threshold = 128): Pulse[] {
  const n = typeof timing === 'number' ? luma.length : Math.min(luma.length, timing.length);
  const at = (i: number): number => {
    if (typeof timing === 'number') return i / timing;
    // One past the last frame: the last frame lasts as long as the one before it.
    if (i >= n) return n >= 2 ? 2 * timing[n - 1]! - timing[n - 2]! : (timing[0] ?? 0);
    return timing[i]!;
  };
  const out: Pulse[] = [];
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const bright = i < n && luma[i]! >= threshold;
    if (bright && start < 0) start = i;
    if (!bright && start >= 0) {
      // A run that starts on the first frame has no visible onset: skip it.
      if (start > 0) out.push({ t: at(start), dur: typeof timing === 'number' ? (i - start) / timing : at(i) - at(start) });
      start = -1;
    }
  }
  return out;
}

/** Goertzel power of one frequency in a window, normalised by the window's total power (0–1 tonality). */
export function tonality(samples: Float32Array, start: number, length: number, freq: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = start; i < start + length; i++) {
    const x = samples[i]!;
    energy += x * x;
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy < 1e-6) return 0;
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return Math.min(1, (2 * power) / (length * energy));
}

/** Beeps: runs of 10 ms windows (5 ms steps) that are loud and tonal at freq, at least 50 ms long. */
export function beepPulses(samples: Float32Array, rate: number, freq = 1000): Pulse[] {
  const step = Math.round(rate * 0.005);
  const tonal: boolean[] = [];
  for (let start = 0; start + step * 2 <= samples.length; start += step) {
    let peak = 0;
    for (let i = start; i < start + step * 2; i++) peak = Math.max(peak, Math.abs(samples[i]!));
    tonal.push(peak > 0.05 && tonality(samples, start, step * 2, freq, rate) > 0.5);
  }
  const out: Pulse[] = [];
  let start = -1;
  let gap = 0;
  for (let i = 0; i <= tonal.length; i++) {
    const on = i < tonal.length && tonal[i]!;
    if (on) {
      if (start < 0) start = i;
      gap = 0;
    } else if (start >= 0 && ++gap > 2) {
      // allow 10 ms dropouts inside a beep (speech overlapping it)
      const end = i - gap + 1;
      if (start > 0 && (end - start) * step >= rate * 0.05) out.push({ t: (start * step) / rate, dur: ((end - start) * step) / rate });
      start = -1;
      gap = 0;
    }
  }
  return out;
}

export interface AvOffset {
  readonly offsetMs: number | null;
  /** offset from the long marker pulses alone (coarse, unambiguous) */
  readonly markerOffsetMs: number | null;
  readonly pairs: number;
  readonly flashes: number;
  readonly beeps: number;
}

/** Pure: the middle value (the upper one of an even count), null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function nearest(pulses: readonly Pulse[], t: number): Pulse | null {
  let best: Pulse | null = null;
  for (const p of pulses) if (best === null || Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
  return best;
}

export function measureOffset(allFlashes: readonly Pulse[], allBeeps: readonly Pulse[], markerMinSec = 0.2, markerMaxSec = 0.45): AvOffset {
  // The first second holds start-up artefacts (a page still settling, white frames before the first paint).
  const flashes = allFlashes.filter((p) => p.t >= 1);
  const beeps = allBeeps.filter((p) => p.t >= 1);
  const long = (p: Pulse) => p.dur >= markerMinSec && p.dur <= markerMaxSec;
  const markerDiffs: number[] = [];
  for (const f of flashes.filter(long)) {
    const b = nearest(beeps.filter(long), f.t);
    if (b && Math.abs(b.t - f.t) < 9) markerDiffs.push(b.t - f.t);
  }
  const coarse = median(markerDiffs);
  const diffs: number[] = [];
  if (coarse !== null) {
    for (const f of flashes) {
      const b = nearest(beeps, f.t + coarse);
      if (b && Math.abs(b.t - f.t - coarse) <= 0.3) diffs.push(b.t - f.t);
    }
  }
  const fine = median(diffs);
  const ms = (s: number | null) => (s === null ? null : Math.round(s * 10000) / 10);
  return { offsetMs: ms(fine), markerOffsetMs: ms(coarse), pairs: diffs.length, flashes: flashes.length, beeps: beeps.length };
}
