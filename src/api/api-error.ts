/**
 * Every error the API returns: JSON `{ error: { code, message } }` with a message a person understands and
 * never a stack trace. Pure mapping from what the layers below throw.
 */
import { ScribaError } from '../domain/errors.ts';
import { ExclusiveKeyConflict } from '../queue/job-queue.ts';

export interface HttpError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** An error raised by the API layer itself (404, 409…). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Fastify's own client errors, by its error codes: the ones a caller can cause. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { code: string; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', message: 'the request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'malformed_json', message: 'the request body is empty; send a JSON object' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'send the request body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', message: 'the Content-Length does not match the body' },
};

/** The queue's storage is full (SQLite: SQLITE_FULL; Redis: out of memory): a 503 the operator can act on. */
function isStorageFull(err: unknown): boolean {
  const e = err as { errcode?: unknown; message?: unknown } | null;
  if (e && typeof e.errcode === 'number' && (e.errcode & 0xff) === 13) return true;
  return e !== null && typeof e.message === 'string' && /database or disk is full|ENOSPC|OOM command not allowed/i.test(e.message);
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  if (isStorageFull(err)) {
    return {
      status: 503,
      code: 'queue_storage_full',
      message: 'the session queue cannot store new sessions right now (its disk or memory is full); try again later',
    };
  }
  if (err instanceof ExclusiveKeyConflict) {
    const mode = err.key.slice(err.key.lastIndexOf(':') + 1);
    return {
      status: 409,
      code: 'conflict',
      message: `a ${mode} session for this room is already queued or running (session ${err.holderId}); stop it first`,
    };
  }
  if (err instanceof ScribaError && err.code === 'invalid_request') return { status: 400, code: 'invalid_request', message: err.message };
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown } | null;
  // Auth errors (src/api/auth) carry their own status and code.
  if (
    e &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500 &&
    typeof e.code === 'string' &&
    typeof e.message === 'string'
  ) {
    return { status: e.status, code: e.code, message: e.message };
  }
  if (e && typeof e.code === 'string') {
    const known = FASTIFY_CLIENT_ERRORS[e.code];
    if (known && typeof e.statusCode === 'number') return { status: e.statusCode, ...known };
  }
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: 'bad_request', message: 'the request is not valid' };
  }
  return { status: 500, code: 'internal', message: 'something went wrong on our side; the error was logged' };
}
