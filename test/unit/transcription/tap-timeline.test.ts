import { describe, expect, it } from 'vitest';
import { ParticipantTimeline, StreamTimeMap } from '../../../src/transcription/tap-timeline.ts';

const T0 = 1_700_000_000_000;
const chunk = (startMs: number, continuous: boolean, samples = 3200) => ({
  startEpochMs: T0 + startMs,
  continuous,
  samples,
  sampleRate: 16000,
});

describe('ParticipantTimeline', () => {
  it('anchors a run on its stamp, then advances by samples despite jitter', () => {
    const tl = new ParticipantTimeline(T0);
    expect(tl.place(chunk(1000.5, false))).toEqual({ startMs: 1000.5, endMs: 1200.5, discontinuity: true });
    expect(tl.place(chunk(1203, true))).toEqual({ startMs: 1200.5, endMs: 1400.5, discontinuity: false });
    expect(tl.place(chunk(1395, true, 1600))).toEqual({ startMs: 1400.5, endMs: 1500.5, discontinuity: false });
  });

  it('re-anchors after a gap (mute) and when the clocks drift apart', () => {
    const tl = new ParticipantTimeline(T0, { maxDriftMs: 40 });
    tl.place(chunk(0, false));
    expect(tl.place(chunk(3000, false))).toEqual({ startMs: 3000, endMs: 3200, discontinuity: true });
    expect(tl.place(chunk(3260, true))).toEqual({ startMs: 3260, endMs: 3460, discontinuity: true }); // 60 ms drift
    expect(tl.place(chunk(3490, true)).discontinuity).toBe(false); // 30 ms: within tolerance
  });

  it('never lets a new run overlap the previous chunk', () => {
    const tl = new ParticipantTimeline(T0);
    tl.place(chunk(0, false));
    expect(tl.place(chunk(150, false))).toEqual({ startMs: 200, endMs: 400, discontinuity: true });
  });

  it('places audio captured before the recording started at negative times', () => {
    expect(new ParticipantTimeline(T0).place(chunk(-500, false)).startMs).toBe(-500);
  });
});

describe('StreamTimeMap', () => {
  it('maps a stream’s own seconds back to the recording across squeezed-out gaps', () => {
    const tl = new ParticipantTimeline(T0);
    const map = new StreamTimeMap();
    expect(map.toRecordingMs(0)).toBeNull();
    for (const [start, cont] of [
      [1000, false],
      [1200, true],
      [5000, false],
      [5200, true],
    ] as const) {
      map.add(tl.place(chunk(start, cont)), 3200, 16000);
    }
    expect(map.writtenSec).toBeCloseTo(0.8, 9);
    expect(map.toRecordingMs(0)).toBe(1000);
    expect(map.toRecordingMs(0.3)).toBeCloseTo(1300, 9);
    expect(map.toRecordingMs(0.4)).toBe(5000);
    expect(map.toRecordingMs(0.75)).toBeCloseTo(5350, 9);
    expect(map.toRecordingMs(2)).toBeCloseTo(6600, 9); // past the end: extrapolated from the last run
  });
});
