import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { type FfprobeLike, toMediaSummary } from '../../../src/ffmpeg/media-summary.ts';
import { buildVolumeDetectCommand, parseVolumeDetect } from '../../../src/ffmpeg/volume-detect.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/ffmpeg');
const text = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const json = (name: string): FfprobeLike => JSON.parse(text(name)) as FfprobeLike;
const lines = (name: string): string[] => text(name).split(/\r\n|\r|\n/);

describe('parseVolumeDetect (real volumedetect output)', () => {
  it('a 440 Hz sine', () => {
    expect(parseVolumeDetect(lines('volumedetect-sine.level-info.stderr.txt'))).toEqual({ meanDb: -24.1, maxDb: -20.8 });
  });
  it('digital silence is the 16-bit floor, -91 dB', () => {
    expect(parseVolumeDetect(lines('volumedetect-silence.level-info.stderr.txt'))).toEqual({ meanDb: -91, maxDb: -91 });
  });
  it('no audio stream: no report', () => {
    expect(parseVolumeDetect(lines('volumedetect-no-audio.level-info.stderr.txt'))).toBeNull();
  });
  it('classified messages work too, and -inf', () => {
    expect(parseVolumeDetect(['[Parsed_volumedetect_0] mean_volume: -inf dB', '[Parsed_volumedetect_0] max_volume: -3.5 dB'])).toEqual({
      meanDb: Number.NEGATIVE_INFINITY,
      maxDb: -3.5,
    });
    expect(parseVolumeDetect(['mean_volume: -20.0 dB'])).toBeNull();
  });
});

describe('buildVolumeDetectCommand', () => {
  it('whole file', () => {
    expect(toArgv(buildVolumeDetectCommand('/rec/a.mp4'))).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+info',
      '-nostats',
      '-i',
      '/rec/a.mp4',
      '-map',
      '0:a:0',
      '-af',
      'volumedetect',
      '-f',
      'null',
      '-',
    ]);
  });
  it('a window', () => {
    expect(toArgv(buildVolumeDetectCommand('/rec/a.mp4', { startSec: 10, durationSec: 5.5 }))).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+info',
      '-nostats',
      '-ss',
      '10',
      '-t',
      '5.5',
      '-i',
      '/rec/a.mp4',
      '-map',
      '0:a:0',
      '-af',
      'volumedetect',
      '-f',
      'null',
      '-',
    ]);
  });
});

describe('toMediaSummary (real ffprobe output as fluent-ffmpeg parses it)', () => {
  it('fragmented MP4 stopped with SIGINT', () => {
    const s = toMediaSummary(json('ffprobe-fragmented-mp4-sigint.json'));
    expect(s.formatName).toBe('mov,mp4,m4a,3gp,3g2,mj2');
    expect(s.durationSec).toBeGreaterThan(2.5);
    expect(s.sizeBytes).toBeGreaterThan(500_000);
    expect(s.video).toMatchObject({ codec: 'h264', width: 1280, height: 720, frames: 89 });
    expect(s.video?.avgFps).toBeCloseTo(30, 0);
    expect(s.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
  });

  it('fragmented MP4 killed with SIGKILL: the two whole fragments', () => {
    expect(toMediaSummary(json('ffprobe-fragmented-mp4-sigkill.json'))).toEqual({
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 2.066667,
      sizeBytes: 712_240,
      video: { codec: 'h264', width: 1280, height: 720, avgFps: 30, frames: 60, durationSec: 2 },
      audio: { codec: 'aac', sampleRate: 48_000, channels: 2, durationSec: 2.008 },
    });
  });

  it('audio only', () => {
    const s = toMediaSummary(json('ffprobe-audio-only.json'));
    expect(s.video).toBeNull();
    expect(s.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
  });

  it('tolerates N/A, missing fields and numeric strings', () => {
    expect(
      toMediaSummary({
        format: { format_name: 'matroska,webm', duration: 'N/A', size: '1234' },
        streams: [
          {
            codec_type: 'video',
            codec_name: 'vp8',
            width: 640,
            height: 480,
            duration: 'N/A',
            avg_frame_rate: '25/1',
            nb_read_packets: 'N/A',
          },
          { codec_type: 'audio', codec_name: 'opus', sample_rate: '48000', channels: 2, duration: '4.5' },
        ],
      }),
    ).toEqual({
      formatName: 'matroska,webm',
      durationSec: 4.5,
      sizeBytes: 1234,
      video: { codec: 'vp8', width: 640, height: 480, avgFps: 25, frames: null, durationSec: null },
      audio: { codec: 'opus', sampleRate: 48_000, channels: 2, durationSec: 4.5 },
    });
    expect(toMediaSummary({})).toEqual({ formatName: '', durationSec: 0, sizeBytes: 0, video: null, audio: null });
  });
});
