import { describe, expect, it } from 'vitest';
import { formatProgressLine } from '../../../src/cli/progress-line.ts';

describe('formatProgressLine', () => {
  it('shows elapsed time, fps, bitrate, size and dup/drop', () => {
    expect(formatProgressLine({ elapsedSec: 3725.4, fps: 30, bitrateKbps: 2450.2, sizeBytes: 5 * 1024 * 1024, dup: 1, drop: 0 })).toBe(
      '● REC 01:02:05  30.0 fps    2450 kbit/s    5.0 MB  dup 1 drop 0',
    );
  });
  it('copes with an unknown bitrate and small sizes', () => {
    expect(formatProgressLine({ elapsedSec: 0, fps: 0, bitrateKbps: null, sizeBytes: 2048, dup: 0, drop: 0 })).toBe(
      '● REC 00:00:00   0.0 fps     n/a kbit/s      2 kB  dup 0 drop 0',
    );
  });
});
