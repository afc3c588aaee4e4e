import { describe, expect, it } from 'vitest';
import { inputStartEpochMs } from '../../../src/ffmpeg/input-start.ts';

describe('inputStartEpochMs', () => {
  const lines = [
    "[info] Input #0, x11grab, from ':99':",
    '[info]   Duration: N/A, start: 1763916455.123456, bitrate: 884736 kb/s',
    '[info]   Stream #0:0: Video: rawvideo (BGR[0] / 0x524742), bgr0, 1280x720, 30 fps',
    "[info] Input #1, pulse, from 'scriba.monitor':",
    '[info]   Duration: N/A, start: 1763916455.804000, bitrate: 1536 kb/s',
  ];
  it('reads the wall-clock start of the input asked for', () => {
    expect(inputStartEpochMs(lines)).toBe(1763916455123);
    expect(inputStartEpochMs(lines, 1)).toBe(1763916455804);
  });
  it('gives null without the lines or for a stream-relative start', () => {
    expect(inputStartEpochMs([])).toBeNull();
    expect(
      inputStartEpochMs(["Input #0, matroska,webm, from 'a.webm':", '  Duration: 00:00:18.00, start: 0.000000, bitrate: 1 kb/s']),
    ).toBeNull();
  });
});
