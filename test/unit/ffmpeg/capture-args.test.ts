import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import {
  type AudioProfile,
  buildCaptureCommand,
  buildFragmentedMp4Output,
  buildRemuxToMp4Command,
  buildX11PulseInputs,
  type VideoProfile,
} from '../../../src/ffmpeg/capture-args.ts';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';

const video720: VideoProfile = { width: 1280, height: 720, fps: 30, preset: 'veryfast', crf: 23, gopSeconds: 2 };
const video1080: VideoProfile = { width: 1920, height: 1080, fps: 30, preset: 'veryfast', crf: 23, gopSeconds: 2 };
const audio: AudioProfile = { bitrateKbps: 128, sampleRate: 48_000, channels: 2 };

const inputs720 = (audioOffsetMs: number) =>
  buildX11PulseInputs({ display: ':12', width: 1280, height: 720, fps: 30, pulseSource: 'scriba.monitor', audioOffsetMs });

describe('buildX11PulseInputs', () => {
  it('with no offset: no -itsoffset, audio synced to video on the wall clock', () => {
    expect(inputs720(0)).toEqual([
      {
        options: ['-f', 'x11grab', '-draw_mouse', '0', '-framerate', '30', '-video_size', '1280x720', '-thread_queue_size', '32'],
        source: ':12+0,0',
      },
      {
        options: ['-f', 'pulse', '-thread_queue_size', '1024', '-ac', '2', '-ar', '48000', '-isync', '0'],
        source: 'scriba.monitor',
      },
    ]);
  });

  it('positive offset (audio captured late): delays the video input, which carries -isync', () => {
    const [v, a] = inputs720(320);
    expect(v.options).toEqual([
      '-f',
      'x11grab',
      '-draw_mouse',
      '0',
      '-framerate',
      '30',
      '-video_size',
      '1280x720',
      '-thread_queue_size',
      '32',
      '-itsoffset',
      '0.320',
      '-isync',
      '1',
    ]);
    expect(a.options).toEqual(['-f', 'pulse', '-thread_queue_size', '1024', '-ac', '2', '-ar', '48000']);
  });

  it('negative offset (audio captured early): delays the audio input', () => {
    const [v, a] = inputs720(-45);
    expect(v.options).toEqual([
      '-f',
      'x11grab',
      '-draw_mouse',
      '0',
      '-framerate',
      '30',
      '-video_size',
      '1280x720',
      '-thread_queue_size',
      '32',
    ]);
    expect(a.options).toEqual([
      '-f',
      'pulse',
      '-thread_queue_size',
      '1024',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-itsoffset',
      '0.045',
      '-isync',
      '0',
    ]);
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
    expect(v).toEqual({
      options: ['-f', 'x11grab', '-draw_mouse', '0', '-framerate', '25', '-video_size', '1920x1080', '-thread_queue_size', '512'],
      source: ':99.0+0,0',
    });
    expect(a).toEqual({
      options: ['-f', 'pulse', '-thread_queue_size', '512', '-ac', '2', '-ar', '48000'],
      source: 'sink7.monitor',
    });
  });

  it('rejects bad displays, odd sizes and non-finite offsets as invalid requests', () => {
    const base = { display: ':12', width: 1280, height: 720, fps: 30, pulseSource: 'scriba.monitor', audioOffsetMs: 0 };
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
  const expected = (g: string) => [
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-g',
    g,
    '-keyint_min',
    g,
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
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof',
    '-frag_duration',
    '1000000',
    '-flush_packets',
    '1',
    '-f',
    'mp4',
  ];

  it('720p30', () => {
    expect(buildFragmentedMp4Output('/rec/a.mp4', video720, audio)).toEqual({ options: expected('60'), target: '/rec/a.mp4' });
  });

  it("1080p30 (the video size is the capture's, so the output options are the same)", () => {
    expect(buildFragmentedMp4Output('/rec/b.mp4', video1080, audio)).toEqual({ options: expected('60'), target: '/rec/b.mp4' });
  });

  it('gop follows fps*gopSeconds; tune and VBV caps when given; custom input indices', () => {
    const out = buildFragmentedMp4Output(
      'x.mp4',
      { ...video1080, fps: 25, gopSeconds: 4, tune: 'zerolatency', maxrateKbps: 2976, bufsizeKbps: 5952 },
      { bitrateKbps: 96, sampleRate: 44_100, channels: 1 },
      { videoInput: 1, audioInput: 0 },
    );
    expect(out.options).toEqual([
      '-map',
      '1:v',
      '-map',
      '0:a',
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
      '100',
      '-keyint_min',
      '100',
      '-sc_threshold',
      '0',
      '-r',
      '25',
      '-fps_mode',
      'cfr',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      '-ar',
      '44100',
      '-ac',
      '1',
      '-af',
      'aresample=async=1:first_pts=0',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '1000000',
      '-flush_packets',
      '1',
      '-f',
      'mp4',
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
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+info',
      '-stats',
      '-y',
      '-f',
      'x11grab',
      '-draw_mouse',
      '0',
      '-framerate',
      '30',
      '-video_size',
      '1280x720',
      '-thread_queue_size',
      '32',
      '-itsoffset',
      '0.320',
      '-isync',
      '1',
      '-i',
      ':12+0,0',
      '-f',
      'pulse',
      '-thread_queue_size',
      '1024',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-i',
      'scriba.monitor',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
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
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '1000000',
      '-flush_packets',
      '1',
      '-f',
      'mp4',
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
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+warning',
      '-stats',
      '-y',
      '-f',
      'x11grab',
      '-draw_mouse',
      '0',
      '-framerate',
      '30',
      '-video_size',
      '1920x1080',
      '-thread_queue_size',
      '32',
      '-i',
      ':3+0,0',
      '-f',
      'pulse',
      '-thread_queue_size',
      '1024',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-isync',
      '0',
      '-i',
      's3.monitor',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
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
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '1000000',
      '-flush_packets',
      '1',
      '-f',
      'mp4',
      '/rec/s3.mp4',
    ]);
  });
});

describe('buildRemuxToMp4Command', () => {
  it('stream-copies into a faststart MP4', () => {
    expect(toArgv(buildRemuxToMp4Command('/rec/s1.frag.mp4', '/rec/s1.mp4'))).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+info',
      '-nostats',
      '-y',
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
