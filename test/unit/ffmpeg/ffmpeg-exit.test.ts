import { describe, expect, it } from 'vitest';
import { type FfmpegExit, ffmpegExitToError, isCleanFfmpegExit } from '../../../src/ffmpeg/ffmpeg-exit.ts';

const exit = (over: Partial<FfmpegExit>): FfmpegExit => ({
  code: 0,
  signal: null,
  stoppedByUs: false,
  lastError: null,
  lastProgress: null,
  stderrTail: [],
  ...over,
});

describe('isCleanFfmpegExit', () => {
  it.each([
    ['finished by itself', exit({ code: 0 }), true],
    ['stopped by us with SIGINT (ffmpeg 5.1 exits 255)', exit({ code: 255, stoppedByUs: true }), true],
    ['255 without our stop', exit({ code: 255 }), false],
    ['failed', exit({ code: 1, lastError: 'x' }), false],
    ['killed after the grace period', exit({ code: null, signal: 'SIGKILL', stoppedByUs: true }), false],
    ['killed by someone else', exit({ code: null, signal: 'SIGKILL' }), false],
    ['never started', exit({ code: null, lastError: 'spawn ffmpeg ENOENT' }), false],
  ] as const)('%s', (_name, e, clean) => {
    expect(isCleanFfmpegExit(e)).toBe(clean);
  });
});

describe('ffmpegExitToError', () => {
  it('null when clean', () => {
    expect(ffmpegExitToError(exit({}))).toBeNull();
  });

  it('names what failed, how, and the last error; network errors are retryable', () => {
    const refused = ffmpegExitToError(exit({ code: 1, lastError: 'rtmp://127.0.0.1:1/live/key: Connection refused' }), 'stream');
    expect(refused).toMatchObject({
      code: 'ffmpeg_failed',
      scope: 'session',
      retryable: true,
      message: 'stream exited with code 1: rtmp://127.0.0.1:1/live/key: Connection refused',
    });
    const display = ffmpegExitToError(exit({ code: 1, lastError: ':12+0,0: Input/output error' }));
    expect(display).toMatchObject({ retryable: false, message: 'ffmpeg exited with code 1: :12+0,0: Input/output error' });
    expect(ffmpegExitToError(exit({ code: null, signal: 'SIGKILL', stoppedByUs: true }), 'capture')?.message).toBe(
      'capture was killed by SIGKILL after not finishing in time',
    );
    expect(ffmpegExitToError(exit({ code: null, lastError: 'spawn ffmpeg ENOENT' }))?.message).toBe(
      'ffmpeg did not start: spawn ffmpeg ENOENT',
    );
  });
});
