import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  advanceLivenessMark,
  createLineSplitter,
  evaluateLiveness,
  type FfmpegLine,
  parseFfmpegLine,
} from '../../../src/ffmpeg/progress-parser.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/ffmpeg');
const raw = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const linesOf = (name: string): string[] => {
  const splitter = createLineSplitter();
  return [...splitter.push(raw(name)), ...splitter.end()];
};
const parsed = (name: string): FfmpegLine[] => linesOf(name).map(parseFfmpegLine);
const messagesOf = (name: string, kind: FfmpegLine['kind']): string[] =>
  parsed(name).flatMap((l) => (l.kind === kind && l.kind !== 'progress' ? [l.message] : []));

describe('parseFfmpegLine on progress lines (real ffmpeg 5.1 output)', () => {
  it('the first lines of a run: bitrate N/A, speed "   0x"', () => {
    const progress = parsed('lavfi-fragmented-mp4-sigint.level-info.stderr.txt').filter((l) => l.kind === 'progress');
    expect(progress).toHaveLength(7);
    expect(progress[0]).toEqual({
      kind: 'progress',
      frame: 1,
      fps: 0,
      sizeKb: 1,
      timeSec: 0,
      bitrateKbps: null,
      dup: 0,
      drop: 0,
      speed: 0,
    });
    expect(progress[4]).toEqual({
      kind: 'progress',
      frame: 61,
      fps: 30,
      sizeKb: 356,
      timeSec: 1.4,
      bitrateKbps: 2069.9,
      dup: 0,
      drop: 0,
      speed: 0.694,
    });
    // the final line says Lsize= and q=-1.0
    expect(progress[6]).toEqual({
      kind: 'progress',
      frame: 89,
      fps: 29,
      sizeKb: 1031,
      timeSec: 2.86,
      bitrateKbps: 2945.8,
      dup: 0,
      drop: 0,
      speed: 0.942,
    });
  });

  it('x11grab capture: dup/drop counters and "speed= 1.2x"', () => {
    const progress = parsed('x11grab-pulse-capture.level-info.stderr.txt').filter((l) => l.kind === 'progress');
    expect(progress[0]).toMatchObject({ frame: 1, dup: 0, drop: 0, timeSec: 0.68, bitrateKbps: 14.6, speed: 29.1 });
    expect(progress[4]).toEqual({
      kind: 'progress',
      frame: 92,
      fps: 45,
      sizeKb: 14,
      timeSec: 2.45,
      bitrateKbps: 47.5,
      dup: 27,
      drop: 25,
      speed: 1.2,
    });
  });

  it('the same without level tags', () => {
    const progress = parsed('x11grab-pulse-capture.plain.stderr.txt').filter((l) => l.kind === 'progress');
    expect(progress.at(-1)).toEqual({
      kind: 'progress',
      frame: 117,
      fps: 56,
      sizeKb: 36,
      timeSec: 3.8,
      bitrateKbps: 77,
      dup: 53,
      drop: 51,
      speed: 1.82,
    });
  });

  it('audio-only to the null muxer: no frame=, size=N/A, bitrate=N/A, speed in exponent form', () => {
    const [sine] = parsed('volumedetect-sine.level-info.stderr.txt').filter((l) => l.kind === 'progress');
    expect(sine).toEqual({
      kind: 'progress',
      frame: 0,
      fps: 0,
      sizeKb: 0,
      timeSec: 2.41,
      bitrateKbps: null,
      dup: 0,
      drop: 0,
      speed: 880,
    });
    const [silence] = parsed('volumedetect-silence.level-info.stderr.txt').filter((l) => l.kind === 'progress');
    expect(silence).toMatchObject({ sizeKb: 0, timeSec: 2, bitrateKbps: null, speed: 1010 });
  });

  it('N/A time, negative time, and a stats-like line that is not one', () => {
    expect(parseFfmpegLine('size=N/A time=N/A bitrate=N/A speed=N/A')).toEqual({
      kind: 'progress',
      frame: 0,
      fps: 0,
      sizeKb: 0,
      timeSec: 0,
      bitrateKbps: null,
      dup: 0,
      drop: 0,
      speed: null,
    });
    expect(parseFfmpegLine('frame=    0 fps=0.0 q=0.0 size=       0kB time=-00:00:00.02 bitrate=N/A speed=N/A')).toMatchObject({
      kind: 'progress',
      timeSec: -0.02,
    });
    expect(parseFfmpegLine('[info] video:5kB audio:32kB subtitle:0kB other streams:0kB global headers:0kB')).toEqual({
      kind: 'other',
      message: 'video:5kB audio:32kB subtitle:0kB other streams:0kB global headers:0kB',
    });
  });
});

describe('parseFfmpegLine on errors and warnings (real ffmpeg 5.1 output)', () => {
  it('x11grab cannot open the display', () => {
    const expected = ['[x11grab] Cannot open display :98+0,0, error 1.', ':98+0,0: Input/output error'];
    expect(messagesOf('x11grab-cannot-open-display.level-info.stderr.txt', 'error')).toEqual(expected);
    expect(messagesOf('x11grab-cannot-open-display.plain.stderr.txt', 'error')).toEqual(expected);
  });

  it('RTMP connection refused', () => {
    const expected = [
      '[tcp] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused',
      '[rtmp] Cannot open connection tcp://127.0.0.1:1?tcp_nodelay=0',
      'rtmp://127.0.0.1:1/live/key: Connection refused',
    ];
    expect(messagesOf('rtmp-connection-refused.level-info.stderr.txt', 'error')).toEqual(expected);
    expect(messagesOf('rtmp-connection-refused.plain.stderr.txt', 'error')).toEqual(expected);
  });

  it('moov atom not found (a plain MP4 whose writer was killed)', () => {
    const expected = [
      '[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found',
      '/tmp/sff/plain-killed.mp4: Invalid data found when processing input',
    ];
    expect(messagesOf('moov-atom-not-found.level-info.stderr.txt', 'error')).toEqual(expected);
    expect(messagesOf('moov-atom-not-found.plain.stderr.txt', 'error')).toEqual(expected);
  });

  it('missing input file, missing PulseAudio server, missing audio stream ([fatal])', () => {
    expect(messagesOf('missing-input.level-info.stderr.txt', 'error')).toEqual(['/tmp/sff/nonexistent.mp4: No such file or directory']);
    expect(messagesOf('pulse-no-server.level-info.stderr.txt', 'error')).toEqual(['scriba.monitor: No such process']);
    expect(parsed('volumedetect-no-audio.level-info.stderr.txt').slice(-2)).toEqual([
      { kind: 'error', message: "Stream map '0:a:0' matches no streams." },
      { kind: 'other', message: "To ignore this, add a trailing '?' to the map." },
    ]);
  });

  it('warnings of a real capture, tagged and untagged', () => {
    expect(messagesOf('x11grab-pulse-capture.level-info.stderr.txt', 'warning')).toEqual([
      '[x11grab] Stream #0: not enough frames to estimate rate; consider increasing probesize',
      'Guessed Channel Layout for Input Stream #1.0 : stereo',
    ]);
    expect(messagesOf('x11grab-pulse-capture.plain.stderr.txt', 'warning')).toEqual([
      '[x11grab] Stream #0: not enough frames to estimate rate; consider increasing probesize',
      'Guessed Channel Layout for Input Stream #1.0 : stereo',
      '[x11grab] Thread message queue blocking; consider raising the thread_queue_size option (current value: 32)',
    ]);
  });

  it('a clean run has no errors; its informational lines are "other"', () => {
    for (const name of [
      'x11grab-pulse-capture.level-info.stderr.txt',
      'x11grab-pulse-capture.plain.stderr.txt',
      'lavfi-fragmented-mp4-sigint.level-info.stderr.txt',
    ]) {
      expect(messagesOf(name, 'error')).toEqual([]);
    }
    expect(parsed('lavfi-fragmented-mp4-sigint.level-info.stderr.txt').at(-1)).toEqual({
      kind: 'other',
      message: 'Exiting normally, received signal 2.',
    });
    expect(parseFfmpegLine('[info] Adjusted ts offset for Input #1 by 680910 us to sync with Input #0.')).toEqual({
      kind: 'other',
      message: 'Adjusted ts offset for Input #1 by 680910 us to sync with Input #0.',
    });
  });

  it('the level tag wins over the wording', () => {
    expect(parseFfmpegLine('[info]   Stream #0:0: Video: h264, error-free')).toEqual({
      kind: 'other',
      message: '  Stream #0:0: Video: h264, error-free',
    });
    expect(parseFfmpegLine('[aac @ 0x55] [warning] Queue input is backward in time')).toEqual({
      kind: 'warning',
      message: '[aac] Queue input is backward in time',
    });
    expect(parseFfmpegLine('[error] Error writing trailer of a.mp4: Immediate exit requested')).toEqual({
      kind: 'error',
      message: 'Error writing trailer of a.mp4: Immediate exit requested',
    });
  });
});

describe('createLineSplitter', () => {
  it('splits on \\r, \\n and \\r\\n, dropping empty lines', () => {
    const s = createLineSplitter();
    expect(s.push('a\rb\nc\r\nd')).toEqual(['a', 'b', 'c']);
    expect(s.push('e\r')).toEqual(['de']);
    expect(s.push('\nf')).toEqual([]);
    expect(s.end()).toEqual(['f']);
    expect(s.end()).toEqual([]);
  });

  it('gives the same lines however the stream is chunked', () => {
    const text = `${raw('x11grab-pulse-capture.level-info.stderr.txt')}tail\r\n`;
    const whole = (() => {
      const s = createLineSplitter();
      return [...s.push(text), ...s.end()];
    })();
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const s = createLineSplitter();
      const lines: string[] = [];
      for (let i = 0; i < text.length; i += size) lines.push(...s.push(text.slice(i, i + size)));
      lines.push(...s.end());
      expect(lines).toEqual(whole);
    }
    expect(whole.filter((l) => parseFfmpegLine(l).kind === 'progress')).toHaveLength(7);
  });

  it('cuts a line that never ends', () => {
    const s = createLineSplitter(10);
    expect(s.push('x'.repeat(25))).toEqual(['x'.repeat(10), 'x'.repeat(10)]);
    expect(s.end()).toEqual(['xxxxx']);
  });
});

describe('evaluateLiveness', () => {
  const started = 1_000;
  const timeout = 5_000;
  it.each([
    ['no frame yet, within the timeout', null, 3_000, 'starting'],
    ['no frame yet, exactly at the timeout', null, 6_000, 'starting'],
    ['no frame yet, past the timeout', null, 6_001, 'stalled'],
    ['a frame-0 mark counts as no frame', { atMs: 2_000, frame: 0 }, 7_000, 'stalled'],
    ['frames advancing', { atMs: 9_000, frame: 240 }, 10_000, 'healthy'],
    ['last advance exactly stallTimeout ago', { atMs: 9_000, frame: 240 }, 14_000, 'healthy'],
    ['last advance longer ago than the timeout', { atMs: 9_000, frame: 240 }, 14_001, 'stalled'],
    ['healthy even long after start', { atMs: 3_600_000, frame: 108_000 }, 3_600_500, 'healthy'],
  ] as const)('%s', (_name, last, now, expected) => {
    expect(evaluateLiveness(last, started, now, timeout)).toBe(expected);
  });

  it('advanceLivenessMark moves only when the frame counter goes up', () => {
    expect(advanceLivenessMark(null, 0, 100)).toBeNull();
    const first = advanceLivenessMark(null, 1, 100);
    expect(first).toEqual({ atMs: 100, frame: 1 });
    expect(advanceLivenessMark(first, 1, 900)).toBe(first);
    expect(advanceLivenessMark(first, 31, 1_100)).toEqual({ atMs: 1_100, frame: 31 });
  });
});
