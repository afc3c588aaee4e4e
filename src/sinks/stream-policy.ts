/**
 * Pure rules of the live stream: what the RTMP relay's stderr says about how an attempt ended (tested on real
 * ffmpeg 5.1 lines against nginx-rtmp, test/fixtures/ffmpeg/rtmp-*), the reconnect back-off, and whether to
 * try again.
 *
 * Telling "the server refused this stream" from "the connection dropped" (ffmpeg 5.1 publishing to RTMP):
 * - connection refused / unreachable / name not resolved: the server is down or restarting → retry;
 * - TCP connected but the publish never started (ffmpeg's open fails: "<url>: Input/output error" after
 *   "Successfully connected to"), or a "Server error: …" status: the server said no (nginx `on_publish`
 *   answering 4xx, an unknown application, YouTube's unknown key) → rejected;
 * - the publish started and then the connection broke: dropped → retry. Servers may accept a publish and
 *   close it at once (nginx `deny publish` sends NetStream.Publish.Start first): a drop within
 *   CONFIRM_MS of the FIRST publish of a session therefore also counts as a rejection. Once a publish has
 *   held for CONFIRM_MS the key is known to be good, and every later failure is retried.
 */

/** A publish counts as accepted once it has held this long (and `connected` is reported then). */
export const CONFIRM_MS = 2000;

export type RelayFailureKind = 'refused' | 'unreachable' | 'rejected' | 'dropped' | 'timeout' | 'stalled' | 'failed';

export interface RelayFailure {
  readonly kind: RelayFailureKind;
  /** For people: what happened, without the key. */
  readonly detail: string;
}

/** What one relay attempt showed, accumulated line by line with observeRelayLine. */
export interface RelayObservation {
  /** A TCP connection to the server was made ("[tcp] Successfully connected to …", -loglevel verbose). */
  readonly tcpConnected: boolean;
  /** The server started the publish: ffmpeg only prints "Output #0, flv, to …" once its RTMP open returned,
   *  which it does on NetStream.Publish.Start. */
  readonly published: boolean;
  /** Error lines, oldest first (redacted by the caller), at most a few. */
  readonly errors: readonly string[];
  /** Set when we ended the attempt ourselves. */
  readonly stoppedFor: 'timeout' | 'stalled' | null;
}

export const EMPTY_OBSERVATION: RelayObservation = { tcpConnected: false, published: false, errors: [], stoppedFor: null };

const MAX_ERRORS = 8;

/** Folds one classified stderr line (message without level/context prefixes) into the observation. */
export function observeRelayLine(o: RelayObservation, kind: 'error' | 'warning' | 'other', message: string): RelayObservation {
  if (!o.tcpConnected && /\bSuccessfully connected to\b/.test(message)) return { ...o, tcpConnected: true };
  if (!o.published && /^Output #0, flv, to /.test(message)) return { ...o, published: true };
  if (kind === 'error') return { ...o, errors: [...o.errors, message].slice(-MAX_ERRORS) };
  return o;
}

const REFUSED = /Connection refused/;
const UNREACHABLE =
  /Connection timed out|No route to host|Network is unreachable|Failed to resolve hostname|Name or service not known|Temporary failure in name resolution|No address associated with hostname|TLS|GnuTLS|handshake/i;
const SERVER_ERROR = /\bServer error: (.*)$/;

/** Why an attempt ended. `o.errors` are ffmpeg's own words (with the URL already redacted). */
export function classifyRelayEnd(o: RelayObservation): RelayFailure {
  if (o.stoppedFor === 'timeout') return { kind: 'timeout', detail: 'no connection to the RTMP server within the connect timeout' };
  if (o.stoppedFor === 'stalled') return { kind: 'stalled', detail: 'the RTMP server stopped taking data' };
  const last = lastMatching(o.errors, () => true);
  const server = lastMatching(o.errors, (e) => SERVER_ERROR.test(e));
  if (server !== null) return { kind: 'rejected', detail: `the server answered: ${SERVER_ERROR.exec(server)?.[1] ?? server}` };
  if (!o.published) {
    if (lastMatching(o.errors, (e) => REFUSED.test(e)) !== null) return { kind: 'refused', detail: 'connection refused' };
    const unreachable = lastMatching(o.errors, (e) => UNREACHABLE.test(e));
    if (unreachable !== null) return { kind: 'unreachable', detail: unreachable };
    if (o.tcpConnected)
      return { kind: 'rejected', detail: `the server closed the connection before publishing started${last ? ` (${last})` : ''}` };
    return { kind: 'failed', detail: last ?? 'the relay ended before connecting' };
  }
  // Published, then broken (Broken pipe, Connection reset, I/O error while writing, or no error at all).
  return { kind: 'dropped', detail: `the connection dropped${last ? ` (${last})` : ''}` };
}

function lastMatching(list: readonly string[], test: (s: string) => boolean): string | null {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return list[i]!;
  return null;
}

export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** How long an outage may last (from its first failure; from the start if never connected). */
  readonly windowMs: number;
}

/**
 * attempt 1, 2, 3… of one outage: initial·2^(attempt−1) capped at max, then "equal jitter" (half fixed,
 * half random) so many sessions cut off by one server restart do not all reconnect in the same instant.
 */
export function reconnectDelayMs(attempt: number, p: ReconnectPolicy, random: number): number {
  const base = Math.min(p.maxDelayMs, p.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * Math.min(1, Math.max(0, random)));
}

export type StreamDecision =
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'give_up'; readonly code: 'stream_rejected' | 'stream_lost'; readonly retryable: boolean; readonly reason: string };

export interface FailureContext {
  readonly failure: RelayFailure;
  /** A publish of this session has held for CONFIRM_MS before (the key is good). */
  readonly established: boolean;
  readonly outageStartedAtMs: number;
  readonly nowMs: number;
  /** 1 for the first retry of this outage. */
  readonly attempt: number;
  /** 0..1, from Math.random in production. */
  readonly random: number;
}

export function decideAfterFailure(c: FailureContext, p: ReconnectPolicy): StreamDecision {
  const rejected = c.failure.kind === 'rejected' || c.failure.kind === 'dropped';
  if (!c.established && rejected) {
    return {
      action: 'give_up',
      code: 'stream_rejected',
      retryable: false,
      reason: `the RTMP server rejected the stream: ${c.failure.detail}`,
    };
  }
  const delayMs = reconnectDelayMs(c.attempt, p, c.random);
  if (c.nowMs + delayMs - c.outageStartedAtMs > p.windowMs) {
    const seconds = Math.round(p.windowMs / 1000);
    return {
      action: 'give_up',
      code: 'stream_lost',
      retryable: true,
      reason: `${c.established ? 'the live stream was lost and did not come back' : 'could not connect to the RTMP server'} within ${seconds} s (last: ${c.failure.detail})`,
    };
  }
  return { action: 'retry', delayMs };
}
