import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { fragmentedMp4Leg, mpegtsPipeLeg } from '../../../src/ffmpeg/output-legs.ts';
import { type EncodePlanInput, fileEncodingProfile, planCaptureOutputs, streamEncodingProfile } from '../../../src/sinks/encode-plan.ts';
import { aacArgs, FRAG_MP4_MUX, MPEGTS_MUX, mapArgs, STREAM_X264, teeFileAndStream, x264Args } from '../../helpers/encode-fixtures.ts';

const config = loadConfig({ env: {} });
const file = fileEncodingProfile(config, 1280, 720);
const stream = streamEncodingProfile(config, 1280, 720);
const legs = {
  file: { kind: 'file' as const, leg: fragmentedMp4Leg('/rec/a.mp4') },
  stream: { kind: 'stream' as const, leg: mpegtsPipeLeg() },
};
const argv = (outputs: ReturnType<typeof planCaptureOutputs>) => toArgv({ globalOptions: [], inputs: [], outputs });

// Jibri's profiles: the file ultrafast, the stream VBV-capped; both crf 26.
const FILE_VIDEO = x264Args({ preset: 'ultrafast', tune: 'zerolatency', crf: '26', threads: '1' });
const STREAM_VIDEO = x264Args({ ...STREAM_X264, crf: '26' });
const AUDIO = aacArgs();
const MAP = mapArgs();
const FILE_MUX = [...FRAG_MP4_MUX, '/rec/a.mp4'];
const STREAM_MUX = [...MPEGTS_MUX, 'pipe:1'];

describe("planCaptureOutputs (default config: Jibri's stream profile, shared encode)", () => {
  it('profiles from the config', () => {
    expect(stream.video).toEqual({
      width: 1280,
      height: 720,
      fps: 30,
      preset: 'veryfast',
      crf: 26,
      gopSeconds: 2,
      maxrateKbps: 2976,
      bufsizeKbps: 5952,
      tune: 'zerolatency',
    });
    expect(stream.audio).toEqual({ bitrateKbps: 128, sampleRate: 48_000, channels: 2 });
    expect(file.video).toEqual({ width: 1280, height: 720, fps: 30, preset: 'ultrafast', crf: 26, gopSeconds: 2, tune: 'zerolatency' });
  });

  // The argv cases differ only in the legs asked for, whether they may share one encode, and the argv expected.
  const argvCases: Array<Omit<EncodePlanInput, 'file' | 'stream'> & { name: string; expected: string[] }> = [
    {
      name: 'file only: the file profile, as before streaming existed',
      legs: [legs.file],
      shareEncode: true,
      expected: [...MAP, ...FILE_VIDEO, ...AUDIO, ...FILE_MUX],
    },
    {
      name: 'stream only: the stream profile into MPEG-TS on stdout',
      legs: [legs.stream],
      shareEncode: true,
      expected: [...MAP, ...STREAM_VIDEO, ...AUDIO, ...STREAM_MUX],
    },
    {
      name: 'both, shared: one encode with the stream profile, two legs through tee',
      legs: [legs.file, legs.stream],
      shareEncode: true,
      expected: [...MAP, ...STREAM_VIDEO, ...AUDIO, '-flags', '+global_header', '-f', 'tee', teeFileAndStream('/rec/a.mp4')],
    },
    {
      name: 'both, not shared: two encodes in one ffmpeg, the file first (its progress drives max duration)',
      legs: [legs.stream, legs.file],
      shareEncode: false,
      expected: [...MAP, ...FILE_VIDEO, ...AUDIO, ...FILE_MUX, ...MAP, ...STREAM_VIDEO, ...AUDIO, ...STREAM_MUX],
    },
  ];
  // A loop rather than it.each: it.each would truncate these long names in the titles.
  for (const { name, legs: planned, shareEncode, expected } of argvCases) {
    it(name, () => {
      expect(argv(planCaptureOutputs({ legs: planned, file, stream, shareEncode }))).toEqual(expected);
    });
  }

  it('nothing to do is a programming error', () => {
    expect(() => planCaptureOutputs({ legs: [], file, stream, shareEncode: true })).toThrow(/at least one output/);
  });
});
