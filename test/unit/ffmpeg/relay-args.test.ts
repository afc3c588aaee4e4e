import { describe, expect, it } from 'vitest';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { buildRtmpRelayCommand } from '../../../src/ffmpeg/relay-args.ts';

describe('buildRtmpRelayCommand', () => {
  it('reads MPEG-TS on stdin and publishes it unchanged as FLV', () => {
    expect(toArgv(buildRtmpRelayCommand('rtmps://live.example.com/app/k3y'))).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+verbose',
      '-stats',
      '-f',
      'mpegts',
      '-analyzeduration',
      '500000',
      '-i',
      'pipe:0',
      '-map',
      '0:v:0',
      '-map',
      '0:a:0',
      '-c',
      'copy',
      '-flvflags',
      'no_duration_filesize',
      '-f',
      'flv',
      'rtmps://live.example.com/app/k3y',
    ]);
  });

  it('refuses anything but an rtmp(s) URL with a path, without repeating it', () => {
    for (const bad of ['http://x/app/k', 'rtmp://host', '-i /etc/passwd', 'rtmp://host/app key']) {
      expect(() => buildRtmpRelayCommand(bad)).toThrow(/rtmp:\/\/ or rtmps:\/\/ URL/);
    }
    expect(() => buildRtmpRelayCommand('http://x/app/s3cr3t')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cr3t') }),
    );
  });
});
