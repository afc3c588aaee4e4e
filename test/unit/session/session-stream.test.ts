import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { notStartedEnd, notStartedSummary, reconnectPolicy, streamSessionFailure } from '../../../src/session/session-stream.ts';
import type { StreamEnd } from '../../../src/session/session-types.ts';

const end = (code: StreamEnd['code'], error: boolean, retryable = false): StreamEnd => ({
  status: 'ended',
  code,
  reason: `because ${code}`,
  error,
  retryable,
});

describe('what the stream means for the session', () => {
  it('the reconnect policy comes from the stream config', () => {
    expect(reconnectPolicy(loadConfig({ env: {} }))).toEqual({ initialDelayMs: 500, maxDelayMs: 5000, windowMs: 60_000 });
  });

  it('a session that also records a file never fails because of its stream', () => {
    expect(streamSessionFailure(end('stream_rejected', true), true)).toBeNull();
    expect(streamSessionFailure(end('stream_lost', true, true), true)).toBeNull();
  });

  it('a stream-only session fails with the stream; a rejection is not retryable', () => {
    expect(streamSessionFailure(end('stream_rejected', true), false)).toMatchObject({
      code: 'stream_rejected',
      message: 'because stream_rejected',
      retryable: false,
      scope: 'session',
    });
    expect(streamSessionFailure(end('stream_lost', true, true), false)).toMatchObject({ code: 'stream_lost', retryable: true });
    expect(streamSessionFailure(end('stopped', false), false)).toBeNull();
  });

  it('a stream whose session ended before the capture: ended once, an error only if the session failed', () => {
    expect(notStartedEnd(null)).toEqual({
      status: 'ended',
      code: 'not_started',
      reason: 'the session stopped before the stream started',
      error: false,
      retryable: false,
    });
    const failed = notStartedEnd({ code: 'join_timeout', message: 'not joined in 30 s', scope: 'session', retryable: true });
    expect(failed).toEqual({
      status: 'ended',
      code: 'not_started',
      reason: 'the session failed before the stream started: not joined in 30 s',
      error: true,
      retryable: true,
    });
    expect(notStartedSummary({ url: 'rtmp://a.rtmp.youtube.com/live2/k3y', youtubeBroadcastId: 'b' }, failed)).toEqual({
      target: 'rtmp://a.rtmp.youtube.com/live2/***',
      liveViewUrl: 'https://youtube.com/watch?v=b',
      attempts: 0,
      connects: 0,
      connectedSec: 0,
      end: failed,
    });
  });
});
