/**
 * Error taxonomy (after Jibri's ErrorScope and Egress's IsDestinationError): every failure says whether it
 * belongs to one session or to the whole system, and whether trying again can help.
 */
export type ErrorScope = 'session' | 'system';

export type ErrorCode =
  | 'invalid_request'
  | 'join_failed'
  | 'join_timeout'
  | 'page_load_failed'
  | 'e2ee_not_supported'
  | 'no_media'
  | 'ice_failed'
  | 'page_hung'
  | 'browser_crashed'
  | 'capture_failed'
  | 'ffmpeg_failed'
  | 'finalize_failed'
  | 'helper_failed'
  | 'stream_rejected'
  | 'stream_failed'
  | 'stream_lost'
  | 'storage_failed'
  | 'upload_failed'
  | 'conflict'
  | 'queue_expired'
  | 'aborted'
  | 'internal';

export interface ScribaErrorOptions {
  readonly scope?: ErrorScope;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class ScribaError extends Error {
  readonly code: ErrorCode;
  readonly scope: ErrorScope;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: ScribaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScribaError';
    this.code = code;
    this.scope = options.scope ?? 'session';
    this.retryable = options.retryable ?? false;
  }
}

/** Wraps anything thrown into a ScribaError, keeping one that already is. */
export function toScribaError(err: unknown, fallback: ErrorCode = 'internal'): ScribaError {
  if (err instanceof ScribaError) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new ScribaError('aborted', 'the operation was aborted', { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ScribaError(fallback, message, { cause: err });
}
