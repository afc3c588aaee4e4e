import { describe, expect, it } from 'vitest';
import { type UtteranceBounds, VadSegmenter, type VadSegmenterOptions } from '../../../src/transcription/vad-segmenter.ts';

const F = 512; // samples per frame (32 ms at 16 kHz)

/** Feeds a probability per frame; all the utterances, then the flush. */
function run(probs: readonly number[], options: VadSegmenterOptions = {}): UtteranceBounds[] {
  const s = new VadSegmenter(options);
  const out = probs.flatMap((p) => s.push(p));
  return [...out, ...s.flush()];
}

const frames = (n: number, p: number): number[] => Array.from({ length: n }, () => p);

describe('VadSegmenter', () => {
  it('cuts one utterance at a long enough pause, padded on both sides', () => {
    // 10 silent frames, 20 speech frames, 20 silent frames (640 ms ≥ 500 ms).
    const out = run([...frames(10, 0.05), ...frames(20, 0.9), ...frames(20, 0.05)], { speechPadMs: 64 });
    expect(out).toEqual([{ startSample: 10 * F - 1024, endSample: 30 * F + 1024 }]);
  });

  it('keeps a short pause inside the utterance and applies hysteresis', () => {
    // 0.4 is under the threshold but above threshold − 0.15: still speech.
    const probs = [...frames(5, 0), ...frames(10, 0.9), ...frames(5, 0.4), ...frames(5, 0), ...frames(10, 0.8), ...frames(20, 0)];
    const out = run(probs, { speechPadMs: 0 });
    expect(out).toEqual([{ startSample: 5 * F, endSample: 35 * F }]);
  });

  it('drops blips shorter than minSpeechMs', () => {
    expect(run([...frames(5, 0), ...frames(3, 0.9), ...frames(30, 0)])).toEqual([]);
  });

  it('gives nothing for silence or no audio', () => {
    expect(run(frames(200, 0.1))).toEqual([]);
    expect(run([])).toEqual([]);
  });

  it('flushes the utterance under way at the end, padded no further than the audio', () => {
    const out = run([...frames(4, 0), ...frames(20, 0.9)], { speechPadMs: 100 });
    expect(out).toEqual([{ startSample: 4 * F - 1600, endSample: 24 * F }]);
  });

  it('never pads an utterance back over the previous one', () => {
    // Two utterances 16 frames (512 ms) apart with 400 ms of padding each.
    const probs = [...frames(10, 0.9), ...frames(16, 0), ...frames(10, 0.9), ...frames(20, 0)];
    const [a, b] = run(probs, { speechPadMs: 400 });
    expect(a!.endSample).toBeLessThanOrEqual(b!.startSample);
    expect(a).toEqual({ startSample: 0, endSample: 10 * F + 6400 });
  });

  it('cuts a too-long utterance at its last short pause, else where it stands', () => {
    // maxUtteranceSec 2 s = 62.5 frames. Speech with a 4-frame pause at frames 40..44.
    const withPause = [...frames(40, 0.9), ...frames(4, 0), ...frames(60, 0.9), ...frames(20, 0)];
    const out = run(withPause, { maxUtteranceSec: 2, speechPadMs: 0 });
    expect(out[0]).toEqual({ startSample: 0, endSample: 40 * F });
    expect(out[1]!.startSample).toBe(44 * F);
    const continuous = run([...frames(100, 0.9), ...frames(20, 0)], { maxUtteranceSec: 2, speechPadMs: 0 });
    expect(continuous[0]).toEqual({ startSample: 0, endSample: 63 * F });
    expect(continuous[1]).toEqual({ startSample: 63 * F, endSample: 100 * F });
    for (const u of [...out, ...continuous]) expect(u.endSample - u.startSample).toBeLessThanOrEqual(2 * 16_000 + F);
  });

  it('tells how much audio it may still need', () => {
    const s = new VadSegmenter({ speechPadMs: 64 });
    for (let i = 0; i < 10; i++) s.push(0);
    expect(s.keepFrom).toBe(10 * F - 1024);
    s.push(0.9);
    s.push(0.9);
    for (let i = 0; i < 10; i++) s.push(0.9);
    expect(s.inSpeech).toBe(true);
    expect(s.keepFrom).toBe(10 * F - 1024);
  });

  it('refuses nonsense options', () => {
    expect(() => new VadSegmenter({ threshold: 1.5 })).toThrow(RangeError);
    expect(() => new VadSegmenter({ maxUtteranceSec: 0.01 })).toThrow(RangeError);
  });
});
