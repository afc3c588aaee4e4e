import { describe, expect, it } from 'vitest';
import { buildFragmentedMp4Output } from '../../../src/ffmpeg/capture-args.ts';
import type { AudioProfile, VideoProfile } from '../../../src/ffmpeg/encoder-args.ts';
import { buildEncodedOutput, escapeTeeTarget, fragmentedMp4Leg, mpegtsPipeLeg, teeSlave } from '../../../src/ffmpeg/output-legs.ts';

const fileVideo: VideoProfile = { width: 1280, height: 720, fps: 30, preset: 'veryfast', crf: 23, gopSeconds: 2 };
const streamVideo: VideoProfile = { ...fileVideo, maxrateKbps: 2976, bufsizeKbps: 5952, tune: 'zerolatency' };
const audio: AudioProfile = { bitrateKbps: 128, sampleRate: 48_000, channels: 2 };

const STREAM_ENCODE = [
  '-map',
  '0:v',
  '-map',
  '1:a',
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-tune',
  'zerolatency',
  '-crf',
  '23',
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
  '-c:a',
  'aac',
  '-b:a',
  '128k',
  '-ar',
  '48000',
  '-ac',
  '2',
  '-af',
  'aresample=async=1:first_pts=0',
];

describe('mux legs', () => {
  it('one leg is a plain output; the file leg gives exactly buildFragmentedMp4Output', () => {
    expect(buildEncodedOutput([fragmentedMp4Leg('/rec/a.mp4')], fileVideo, audio)).toEqual(
      buildFragmentedMp4Output('/rec/a.mp4', fileVideo, audio),
    );
  });

  it('the stream leg alone: MPEG-TS on stdout with the stream profile', () => {
    expect(buildEncodedOutput([mpegtsPipeLeg()], streamVideo, audio)).toEqual({
      options: [...STREAM_ENCODE, '-pes_payload_size', '0', '-flush_packets', '1', '-f', 'mpegts'],
      target: 'pipe:1',
    });
  });

  it('two legs share one encode through the tee muxer, with global headers for the mp4 leg', () => {
    expect(buildEncodedOutput([fragmentedMp4Leg('/rec/a.mp4'), mpegtsPipeLeg()], streamVideo, audio)).toEqual({
      options: [...STREAM_ENCODE, '-flags', '+global_header', '-f', 'tee'],
      target:
        '[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:flush_packets=1]/rec/a.mp4' +
        '|[f=mpegts:onfail=ignore:pes_payload_size=0:flush_packets=1]pipe:1',
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
