import { describe, expect, it } from 'vitest';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { buildMixedAudioPcmCommand } from '../../../src/ffmpeg/mixed-audio-args.ts';

describe('buildMixedAudioPcmCommand', () => {
  it('reads the Pulse monitor and writes 16 kHz mono s16le to stdout', () => {
    expect(toArgv(buildMixedAudioPcmCommand({ pulseSource: 'scriba.monitor' }))).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+warning',
      '-nostats',
      '-f',
      'pulse',
      '-thread_queue_size',
      '1024',
      '-i',
      'scriba.monitor',
      '-vn',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      '-f',
      's16le',
      '-flush_packets',
      '1',
      'pipe:1',
    ]);
  });

  it('refuses an empty source', () => {
    expect(() => buildMixedAudioPcmCommand({ pulseSource: ' ' })).toThrow(/pulseSource/);
  });
});
