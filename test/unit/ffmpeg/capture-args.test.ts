import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import {
  buildCaptureCommand,
  buildFragmentedMp4Output,
  buildRemuxToMp4Command,
  buildX11PulseInputs,
  type VideoProfile,
} from '../../../src/ffmpeg/capture-args.ts';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { aacArgs, audio, FRAG_MP4_MUX, mapArgs, video720, x264Args } from '../../helpers/encode-fixtures.ts';

const video1080: VideoProfile = { ...video720, width: 1920, height: 1080 };

const x11Pulse720 = { display: ':12', width: 1280, height: 720, fps: 30, pulseSource: 'scriba.monitor', audioOffsetMs: 0 };
const inputs720 = (audioOffsetMs: number) => buildX11PulseInputs({ ...x11Pulse720, audioOffsetMs });

/** The x11grab input's options before any -itsoffset/-isync; defaults: 720p30 with the default queue. */
const x11grabArgs = (size = '1280x720', fps = '30', queue = '8') => [
  '-f',
  'x11grab',
  '-draw_mouse',
  '0',
  '-framerate',
  fps,
  '-video_size',
  size,
  '-thread_queue_size',
  queue,
];
/** The pulse input's options before any -itsoffset/-isync. */
const pulseArgs = (queue = '1024') => ['-f', 'pulse', '-thread_queue_size', queue, '-ac', '2', '-ar', '48000'];
const globalArgs = (logLevel: string, stats = '-stats') => ['-hide_banner', '-nostdin', '-loglevel', `level+${logLevel}`, stats, '-y'];

/** veryfast, crf 23, 60-frame gop at 30 fps into fragmented MP4: the same for video720 and video1080. */
const FRAG_MP4_OPTIONS = [...mapArgs(), ...x264Args(), ...aacArgs(), ...FRAG_MP4_MUX];

describe('buildX11PulseInputs', () => {
  it('with no offset: no -itsoffset, audio synced to video on the wall clock', () => {
    expect(inputs720(0)).toEqual([
      { options: x11grabArgs(), source: ':12+0,0' },
      { options: [...pulseArgs(), '-isync', '0'], source: 'scriba.monitor' },
    ]);
  });

  it('positive offset (audio captured late): delays the video input, which carries -isync', () => {
    const [v, a] = inputs720(320);
    expect(v.options).toEqual([...x11grabArgs(), '-itsoffset', '0.320', '-isync', '1']);
    expect(a.options).toEqual(pulseArgs());
  });

  it('negative offset (audio captured early): delays the audio input', () => {
    const [v, a] = inputs720(-45);
    expect(v.options).toEqual(x11grabArgs());
    expect(a.options).toEqual([...pulseArgs(), '-itsoffset', '0.045', '-isync', '0']);
  });

  it('rounds the offset to whole milliseconds (a sub-millisecond offset is none)', () => {
    expect(inputs720(0.4)).toEqual(inputs720(0));
    expect(inputs720(1499.6)[0].options).toContain('1.500');
  });

  it('1080p, a display with a screen number, a custom queue size and wall-clock sync off', () => {
    const [v, a] = buildX11PulseInputs({
      display: ':99.0',
      width: 1920,
      height: 1080,
      fps: 25,
      pulseSource: 'sink7.monitor',
      audioOffsetMs: 0,
      threadQueueSize: 512,
      syncInputsOnWallclock: false,
    });
    expect(v).toEqual({ options: x11grabArgs('1920x1080', '25', '512'), source: ':99.0+0,0' });
    expect(a).toEqual({ options: pulseArgs('512'), source: 'sink7.monitor' });
  });

  it('rejects bad displays, odd sizes and non-finite offsets as invalid requests', () => {
    const base = x11Pulse720;
    for (const bad of [
      { ...base, display: '12' },
      { ...base, display: ':12; rm -rf /' },
      { ...base, width: 1281 },
      { ...base, fps: 0 },
      { ...base, audioOffsetMs: Number.NaN },
      { ...base, pulseSource: ' ' },
    ]) {
      expect(() => buildX11PulseInputs(bad)).toThrow(ScribaError);
    }
    try {
      buildX11PulseInputs({ ...base, height: 721 });
    } catch (err) {
      expect((err as ScribaError).code).toBe('invalid_request');
    }
  });
});

describe('buildFragmentedMp4Output', () => {
  it('720p30', () => {
    expect(buildFragmentedMp4Output('/rec/a.mp4', video720, audio)).toEqual({ options: FRAG_MP4_OPTIONS, target: '/rec/a.mp4' });
  });

  it("1080p30 (the video size is the capture's, so the output options are the same)", () => {
    expect(buildFragmentedMp4Output('/rec/b.mp4', video1080, audio)).toEqual({ options: FRAG_MP4_OPTIONS, target: '/rec/b.mp4' });
  });

  it('gop follows fps*gopSeconds; tune and VBV caps when given; custom input indices', () => {
    const out = buildFragmentedMp4Output(
      'x.mp4',
      { ...video1080, fps: 25, gopSeconds: 4, tune: 'zerolatency', maxrateKbps: 2976, bufsizeKbps: 5952 },
      { bitrateKbps: 96, sampleRate: 44_100, channels: 1 },
      { videoInput: 1, audioInput: 0 },
    );
    expect(out.options).toEqual([
      ...mapArgs(1, 0),
      ...x264Args({ tune: 'zerolatency', maxrate: '2976k', bufsize: '5952k', gop: '100', fps: '25' }),
      ...aacArgs('96k', '44100', '1'),
      ...FRAG_MP4_MUX,
    ]);
  });

  it('rejects half a VBV pair and out-of-range crf', () => {
    expect(() => buildFragmentedMp4Output('x.mp4', { ...video720, maxrateKbps: 1000 }, audio)).toThrow(/go together/);
    expect(() => buildFragmentedMp4Output('x.mp4', { ...video720, crf: 52 }, audio)).toThrow(/crf/);
  });
});

describe('buildCaptureCommand', () => {
  it('the full 720p capture argv, audio 320 ms late', () => {
    const spec = buildCaptureCommand({
      inputs: inputs720(320),
      outputs: [buildFragmentedMp4Output('/rec/s1.mp4', video720, audio)],
    });
    expect(toArgv(spec)).toEqual([
      ...globalArgs('info'),
      ...x11grabArgs(),
      '-itsoffset',
      '0.320',
      '-isync',
      '1',
      '-i',
      ':12+0,0',
      ...pulseArgs(),
      '-i',
      'scriba.monitor',
      ...FRAG_MP4_OPTIONS,
      '/rec/s1.mp4',
    ]);
  });

  it('the full 1080p capture argv, no offset, log level warning', () => {
    const spec = buildCaptureCommand({
      inputs: buildX11PulseInputs({
        display: ':3',
        width: 1920,
        height: 1080,
        fps: 30,
        pulseSource: 's3.monitor',
        audioOffsetMs: 0,
      }),
      outputs: [buildFragmentedMp4Output('/rec/s3.mp4', video1080, audio)],
      logLevel: 'warning',
    });
    expect(toArgv(spec)).toEqual([
      ...globalArgs('warning'),
      ...x11grabArgs('1920x1080'),
      '-i',
      ':3+0,0',
      ...pulseArgs(),
      '-isync',
      '0',
      '-i',
      's3.monitor',
      ...FRAG_MP4_OPTIONS,
      '/rec/s3.mp4',
    ]);
  });
});

describe('buildRemuxToMp4Command', () => {
  it('stream-copies into a faststart MP4', () => {
    expect(toArgv(buildRemuxToMp4Command('/rec/s1.frag.mp4', '/rec/s1.mp4'))).toEqual([
      ...globalArgs('info', '-nostats'),
      '-i',
      '/rec/s1.frag.mp4',
      '-map',
      '0',
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '/rec/s1.mp4',
    ]);
  });
});
