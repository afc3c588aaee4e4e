/**
 * The session's side of the live stream (pure): the sink's settings from the config, what a stream that ends
 * with an error means for the session, and the summary when the stream never started.
 */
import type { ScribaConfig } from '../config/config.ts';
import { type ErrorCode, ScribaError } from '../domain/errors.ts';
import type { SessionFailure } from '../domain/session-state.ts';
import type { ReconnectPolicy } from '../sinks/stream-policy.ts';
import type { StreamEnd, StreamEndCode, StreamSummary } from '../sinks/stream-status.ts';
import { redactStreamUrl, youtubeLiveViewUrl } from '../sinks/stream-url.ts';
import type { StreamTarget } from './session-types.ts';

export function reconnectPolicy(config: Pick<ScribaConfig, 'stream'>): ReconnectPolicy {
  const s = config.stream;
  return { initialDelayMs: s.reconnectInitialDelayMs, maxDelayMs: s.reconnectMaxDelayMs, windowMs: s.reconnectWindowSec * 1000 };
}

/**
 * ErrorCode of a stream-only session whose stream ended with an error. The domain taxonomy has no stream
 * codes yet; until it does, a rejected target is an invalid request (its key or URL is wrong: never retried)
 * and a lost or broken stream is an output failure that a retry may fix. The precise code travels in the
 * `stream` event and the result's `stream.end.code`.
 */
const SESSION_CODE: Readonly<Record<Exclude<StreamEndCode, 'stopped' | 'not_started'>, ErrorCode>> = {
  stream_rejected: 'stream_rejected',
  stream_lost: 'stream_lost',
  stream_failed: 'stream_failed',
};

/** The session failure for a stream-only session whose stream ended with an error, else null. */
export function streamSessionFailure(end: StreamEnd, recordsFile: boolean): ScribaError | null {
  if (recordsFile || !end.error || end.code === 'stopped' || end.code === 'not_started') return null;
  return new ScribaError(SESSION_CODE[end.code], end.reason, { scope: 'session', retryable: end.retryable });
}

/** The `ended` status of a stream whose session ended before the capture (and so the stream) started. */
export function notStartedEnd(failure: SessionFailure | null): StreamEnd {
  return failure === null
    ? { status: 'ended', code: 'not_started', reason: 'the session stopped before the stream started', error: false, retryable: false }
    : {
        status: 'ended',
        code: 'not_started',
        reason: `the session failed before the stream started: ${failure.message}`,
        error: true,
        retryable: failure.retryable,
      };
}

export function notStartedSummary(target: StreamTarget, end: StreamEnd): StreamSummary {
  return {
    target: redactStreamUrl(target.url),
    liveViewUrl: youtubeLiveViewUrl(target.youtubeBroadcastId),
    attempts: 0,
    connects: 0,
    connectedSec: 0,
    end,
  };
}
