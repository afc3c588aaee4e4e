import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { fragmentedMp4Leg, mpegtsPipeLeg } from '../../../src/ffmpeg/output-legs.ts';
import { fileEncodingProfile, planCaptureOutputs, streamEncodingProfile } from '../../../src/sinks/encode-plan.ts';

const config = loadConfig({ env: {} });
const file = fileEncodingProfile(config, 1280, 720);
const stream = streamEncodingProfile(config, 1280, 720);
const legs = {
  file: { kind: 'file' as const, leg: fragmentedMp4Leg('/rec/a.mp4') },
  stream: { kind: 'stream' as const, leg: mpegtsPipeLeg() },
};
const argv = (outputs: ReturnType<typeof planCaptureOutputs>) => toArgv({ globalOptions: [], inputs: [], outputs });

const FILE_VIDEO = [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-tune',
  'zerolatency',
  '-crf',
  '26',
  '-pix_fmt',
  'yuv420p',
  '-g',
  '60',
  '-keyint_min',
  '60',
  '-sc_threshold',
  '0',
  '-r',
  '30',
  '-fps_mode',
  'cfr',
];
const STREAM_VIDEO = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-tune',
  'zerolatency',
  '-crf',
  '26',
  '-maxrate',
  '2976k',
  '-bufsize',
  '5952k',
  '-pix_fmt',
  'yuv420p',
  '-g',
  '60',
  '-keyint_min',
  '60',
  '-sc_threshold',
  '0',
  '-r',
  '30',
  '-fps_mode',
  'cfr',
];
const AUDIO = ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-af', 'aresample=async=1:first_pts=0'];
const MAP = ['-map', '0:v', '-map', '1:a'];
const FILE_MUX = [
  '-movflags',
  '+frag_keyframe+empty_moov+default_base_moof',
  '-frag_duration',
  '1000000',
  '-flush_packets',
  '1',
  '-f',
  'mp4',
  '/rec/a.mp4',
];
const STREAM_MUX = ['-pes_payload_size', '0', '-flush_packets', '1', '-f', 'mpegts', 'pipe:1'];

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

  it('file only: the file profile, as before streaming existed', () => {
    expect(argv(planCaptureOutputs({ legs: [legs.file], file, stream, shareEncode: true }))).toEqual([
      ...MAP,
      ...FILE_VIDEO,
      ...AUDIO,
      ...FILE_MUX,
    ]);
  });

  it('stream only: the stream profile into MPEG-TS on stdout', () => {
    expect(argv(planCaptureOutputs({ legs: [legs.stream], file, stream, shareEncode: true }))).toEqual([
      ...MAP,
      ...STREAM_VIDEO,
      ...AUDIO,
      ...STREAM_MUX,
    ]);
  });

  it('both, shared: one encode with the stream profile, two legs through tee', () => {
    expect(argv(planCaptureOutputs({ legs: [legs.file, legs.stream], file, stream, shareEncode: true }))).toEqual([
      ...MAP,
      ...STREAM_VIDEO,
      ...AUDIO,
      '-flags',
      '+global_header',
      '-f',
      'tee',
      '[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:flush_packets=1]/rec/a.mp4|[f=mpegts:onfail=ignore:pes_payload_size=0:flush_packets=1]pipe:1',
    ]);
  });

  it('both, not shared: two encodes in one ffmpeg, the file first (its progress drives max duration)', () => {
    expect(argv(planCaptureOutputs({ legs: [legs.stream, legs.file], file, stream, shareEncode: false }))).toEqual([
      ...MAP,
      ...FILE_VIDEO,
      ...AUDIO,
      ...FILE_MUX,
      ...MAP,
      ...STREAM_VIDEO,
      ...AUDIO,
      ...STREAM_MUX,
    ]);
  });

  it('nothing to do is a programming error', () => {
    expect(() => planCaptureOutputs({ legs: [], file, stream, shareEncode: true })).toThrow(/at least one output/);
  });
});
