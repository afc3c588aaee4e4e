import { describe, expect, it } from 'vitest';
import { PcmPlacer } from '../../../src/transcription/pcm-placer.ts';

describe('PcmPlacer', () => {
  it('anchors at the first read minus its audio, then runs on by sample count, carrying split samples', () => {
    const p = new PcmPlacer(16_000);
    // 100 ms (3200 bytes) read at 1500 ms → starts at 1400 ms.
    expect(p.place(Buffer.alloc(3200), 1500)).toMatchObject({ startMs: 1400, endMs: 1500, samples: 1600, discontinuity: true });
    // 33 bytes: 16 samples now, one byte carried; arrival time no longer matters.
    const b = p.place(Buffer.alloc(33), 9999)!;
    expect(b).toMatchObject({ startMs: 1500, endMs: 1501, samples: 16, discontinuity: false });
    expect(b.pcm.length).toBe(32);
    expect(p.place(Buffer.alloc(1), 10_000)).toMatchObject({ startMs: 1501, samples: 1 });
    expect(p.place(Buffer.alloc(1), 10_000)).toBeNull();
  });

  it('never anchors before the recording zero', () => {
    expect(new PcmPlacer(16_000).place(Buffer.alloc(3200), 50)).toMatchObject({ startMs: 0, endMs: 100 });
  });
});
