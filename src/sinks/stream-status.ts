/** What the live stream reports while it runs, and once at the end. Reasons and targets never hold the key. */

/**
 * Why a stream ended:
 * - `stopped`: the session stopped (or the capture ended) while the stream was up or being retried;
 * - `stream_rejected`: the server refused the stream on the first attempt (bad key, unknown app, publishing
 *   denied): not retried, and retrying the same request cannot help;
 * - `stream_lost`: no connection for the whole reconnect window (after a drop, or from the start);
 * - `stream_failed`: our side broke (the relay could not run, the capture's stream leg ended);
 * - `not_started`: the session ended before its capture, so the stream never started.
 */
export type StreamEndCode = 'stopped' | 'stream_rejected' | 'stream_lost' | 'stream_failed' | 'not_started';

/**
 * `connected` the first time the server has held the stream for a moment and after every reconnect,
 * `reconnecting` when an attempt failed and another is scheduled, `ended` exactly once.
 */
export type StreamStatus =
  | { readonly status: 'connected'; readonly reconnects: number }
  | { readonly status: 'reconnecting'; readonly attempt: number; readonly reason: string; readonly delayMs: number }
  | {
      readonly status: 'ended';
      readonly code: StreamEndCode;
      readonly reason: string;
      readonly error: boolean;
      readonly retryable: boolean;
    };

export type StreamEnd = Extract<StreamStatus, { status: 'ended' }>;

/** The stream's part of a session result. */
export interface StreamSummary {
  /** `scheme://host/app/***`. */
  readonly target: string;
  readonly liveViewUrl: string | null;
  /** Relay processes started (connection attempts). */
  readonly attempts: number;
  /** `connected` events. */
  readonly connects: number;
  /** Seconds the stream was up, summed over connections. */
  readonly connectedSec: number;
  readonly end: StreamEnd;
}
