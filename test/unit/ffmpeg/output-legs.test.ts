import { describe, expect, it } from 'vitest';
import { buildFragmentedMp4Output } from '../../../src/ffmpeg/capture-args.ts';
import type { VideoProfile } from '../../../src/ffmpeg/encoder-args.ts';
import { buildEncodedOutput, escapeTeeTarget, fragmentedMp4Leg, mpegtsPipeLeg, teeSlave } from '../../../src/ffmpeg/output-legs.ts';
import { aacArgs, audio, MPEGTS_MUX, mapArgs, STREAM_X264, teeFileAndStream, video720, x264Args } from '../../helpers/encode-fixtures.ts';

const fileVideo = video720;
const streamVideo: VideoProfile = { ...fileVideo, maxrateKbps: 2976, bufsizeKbps: 5952, tune: 'zerolatency' };

const STREAM_ENCODE = [...mapArgs(), ...x264Args(STREAM_X264), ...aacArgs()];

describe('mux legs', () => {
  it('one leg is a plain output; the file leg gives exactly buildFragmentedMp4Output', () => {
    expect(buildEncodedOutput([fragmentedMp4Leg('/rec/a.mp4')], fileVideo, audio)).toEqual(
      buildFragmentedMp4Output('/rec/a.mp4', fileVideo, audio),
    );
  });

  it('the stream leg alone: MPEG-TS on stdout with the stream profile', () => {
    expect(buildEncodedOutput([mpegtsPipeLeg()], streamVideo, audio)).toEqual({
      options: [...STREAM_ENCODE, ...MPEGTS_MUX],
      target: 'pipe:1',
    });
  });

  it('two legs share one encode through the tee muxer, with global headers for the mp4 leg', () => {
    expect(buildEncodedOutput([fragmentedMp4Leg('/rec/a.mp4'), mpegtsPipeLeg()], streamVideo, audio)).toEqual({
      options: [...STREAM_ENCODE, '-flags', '+global_header', '-f', 'tee'],
      target: teeFileAndStream('/rec/a.mp4'),
    });
  });

  it("escapes what the tee muxer's token parser would eat", () => {
    expect(escapeTeeTarget("/rec/it's a|b\\c.mp4")).toBe("/rec/it\\'s\\ a\\|b\\\\c.mp4");
    expect(teeSlave(fragmentedMp4Leg('/r/ x.mp4'))).toMatch(/\]\/r\/\\ x\.mp4$/);
    expect(escapeTeeTarget('/rec/Réunion_2026.mp4')).toBe('/rec/Réunion_2026.mp4');
  });

  it('refuses an empty leg list, a bad pipe fd and option text the tee syntax reserves', () => {
    expect(() => buildEncodedOutput([], fileVideo, audio)).toThrow(/at least one leg/);
    expect(() => mpegtsPipeLeg(0)).toThrow(/positive integer/);
    expect(() => teeSlave({ format: 'mp4', muxerOptions: [['movflags', 'a:b']], onFail: 'abort', target: '/x' })).toThrow(/reserves/);
  });
});
