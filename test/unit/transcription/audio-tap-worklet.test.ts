/**
 * The audio tap's in-page processor (src/browser/page-audio-tap.ts AUDIO_TAP_WORKLET_SOURCE), run in Node with stand-ins for
 * the AudioWorklet globals: downmix, resampling, Int16 conversion, batching, mute gaps, timestamps.
 */
import { describe, expect, it } from 'vitest';
import { AUDIO_TAP_WORKLET_SOURCE } from '../../../src/browser/page-audio-tap.ts';

interface Posted {
  type: string;
  startTime?: number;
  continuous?: boolean;
  samples?: number;
  pcm?: ArrayBuffer;
}

interface Processor {
  process(inputs: Float32Array[][]): boolean;
  port: { onmessage: ((e: { data: unknown }) => void) | null };
}

/** Loads the module source with fake globals; returns a processor at `rate` and what it posted. */
function load(rate: number, chunkSamples: number): { proc: Processor; posted: Posted[]; clock: { time: number } } {
  const posted: Posted[] = [];
  const clock = { time: 0 };
  let Ctor: (new (o: unknown) => Processor) | null = null;
  class AudioWorkletProcessor {
    port = {
      onmessage: null,
      postMessage: (m: Posted) => posted.push(m),
    };
  }
  const scope = {
    registerProcessor: (_name: string, ctor: new (o: unknown) => Processor) => (Ctor = ctor),
    AudioWorkletProcessor,
    sampleRate: rate,
  };
  // `currentTime` is a live worklet global: a getter over the test's clock.
  const fn = new Function(
    'registerProcessor',
    'AudioWorkletProcessor',
    'sampleRate',
    'clock',
    `const scope = { get currentTime() { return clock.time; } }; with (scope) { ${AUDIO_TAP_WORKLET_SOURCE} }`,
  );
  fn(scope.registerProcessor, scope.AudioWorkletProcessor, scope.sampleRate, clock);
  if (!Ctor) throw new Error('no processor registered');
  const proc = new (Ctor as new (o: unknown) => Processor)({ processorOptions: { outRate: 16000, chunkSamples } });
  return { proc, posted, clock };
}

/** Feeds `seconds` of signal(t) in 128-frame quanta, as the render thread would. */
function feed(p: { proc: Processor; clock: { time: number } }, rate: number, seconds: number, signal: (t: number) => number[]): void {
  const frames = Math.round(seconds * rate);
  for (let f = 0; f < frames; f += 128) {
    const start = p.clock.time;
    const chans = signal(0).map(() => new Float32Array(128));
    for (let i = 0; i < 128; i++) {
      const v = signal(start + i / rate);
      v.forEach((x, c) => (chans[c]![i] = x));
    }
    p.proc.process([chans]);
    p.clock.time = start + 128 / rate;
  }
}

const samples = (m: Posted): Int16Array => new Int16Array(m.pcm!);
const chunks = (posted: Posted[]): Posted[] => posted.filter((m) => m.type === 'chunk');

describe('audio tap worklet', () => {
  it('passes 16 kHz through 1:1, downmixes stereo, converts to Int16 and batches', () => {
    const p = load(16000, 3200);
    feed(p, 16000, 0.5, () => [0.5, 0.25]);
    const cs = chunks(p.posted);
    expect(cs.map((c) => c.samples)).toEqual([3200, 3200]); // the last 1600 samples wait for more
    expect(samples(cs[0]!).every((s) => s === Math.round(0.375 * 32767))).toBe(true);
    expect(cs[0]).toMatchObject({ startTime: 0, continuous: false });
    expect(cs[1]).toMatchObject({ continuous: true });
    expect(cs[1]!.startTime).toBeCloseTo(0.2, 9);
  });

  it('clips to the Int16 range', () => {
    const p = load(16000, 4);
    p.proc.process([[Float32Array.from([2, -2, 1, -1])]]);
    expect([...samples(chunks(p.posted)[0]!)]).toEqual([32767, -32768, 32767, -32768]);
  });

  it('resamples 48 kHz to 16 kHz at the exact rate and keeps a 1 kHz tone', () => {
    const p = load(48000, 1600);
    feed(p, 48000, 1.0, (t) => [0.5 * Math.sin(2 * Math.PI * 1000 * t)]);
    const cs = chunks(p.posted);
    const all = Int16Array.from(cs.flatMap((c) => [...samples(c)]));
    expect(all.length).toBe(16000); // 1 s in, 1 s out (48000 is a multiple of 128 × 3)
    // Timestamps advance by exactly 100 ms per chunk.
    cs.forEach((c, i) => expect(c.startTime).toBeCloseTo(i * 0.1 + 2 / 48000, 6));
    // Still a 1 kHz sine: RMS ≈ 0.5/√2 (the 3-tap average loses ~2 % at 1 kHz), ~2000 zero crossings.
    const rms = Math.sqrt(all.reduce((a, s) => a + s * s, 0) / all.length) / 32767;
    expect(rms).toBeGreaterThan(0.34);
    expect(rms).toBeLessThan(0.36);
    let crossings = 0;
    for (let i = 1; i < all.length; i++) if (all[i - 1]! < 0 !== all[i]! < 0) crossings++;
    expect(crossings).toBeGreaterThan(1990);
    expect(crossings).toBeLessThan(2010);
  });

  it('resamples 44.1 kHz to 16 kHz without drift', () => {
    const p = load(44100, 1600);
    feed(p, 44100, 10, () => [0.1]);
    const total = chunks(p.posted).reduce((a, c) => a + c.samples!, 0);
    // 441088 frames (whole quanta) → exactly floor(441088 × 16000 / 44100) = 160032 samples, 160000 of them flushed.
    expect(total).toBe(160000);
  });

  it('cuts the run while muted: flushes the partial chunk, posts nothing, then starts a new run', () => {
    const p = load(16000, 1600);
    feed(p, 16000, 0.15, () => [0.1]); // 19 quanta = 2432 samples: one chunk out, 832 buffered
    p.proc.port.onmessage!({ data: { type: 'mute', muted: true } });
    feed(p, 16000, 0.5, () => [0.1]);
    p.proc.port.onmessage!({ data: { type: 'mute', muted: false } });
    const unmutedAt = p.clock.time;
    feed(p, 16000, 0.1, () => [0.1]);
    const cs = chunks(p.posted);
    expect(cs.map((c) => [c.samples, c.continuous])).toEqual([
      [1600, false],
      [832, true],
      [1600, false],
    ]);
    expect(cs[2]!.startTime).toBeCloseTo(unmutedAt, 9);
  });

  it('treats an input without channels as a gap', () => {
    const p = load(16000, 1600);
    feed(p, 16000, 0.05, () => [0.1]);
    p.proc.process([[]]);
    feed(p, 16000, 0.1, () => [0.1]);
    expect(chunks(p.posted).map((c) => c.continuous)).toEqual([false, false]);
  });

  it('on stop, flushes what it holds, says so, and stops processing', () => {
    const p = load(16000, 1600);
    feed(p, 16000, 0.04, () => [0.1]);
    p.proc.port.onmessage!({ data: { type: 'stop' } });
    expect(p.posted.map((m) => [m.type, m.samples])).toEqual([
      ['chunk', 640],
      ['stopped', undefined],
    ]);
    expect(p.proc.process([[new Float32Array(128)]])).toBe(false);
  });
});
