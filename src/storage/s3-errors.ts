/**
 * S3 failures → StorageError (pure): is the store down (retry), did it refuse (do not), or is the thing gone?
 * Works on the AWS SDK v3 error shape (`name`, `$metadata.httpStatusCode`, `$retryable`) and on Node's
 * network errors (`code`), whatever the S3-compatible server.
 */
import { StorageError, type StorageFailure } from './object-store.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeTooSkewed',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: unknown;
}

export interface S3ErrorClass {
  readonly reason: StorageFailure;
  readonly retryable: boolean;
}

export function classifyS3Error(err: unknown): S3ErrorClass {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.Code === 'string' ? e.Code : '';
  const errno = typeof e.code === 'string' ? e.code : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const is = (n: string) => name === n || code === n;

  if (name === 'AbortError' || errno === 'ABORT_ERR') return { reason: 'aborted', retryable: false };
  if (is('NoSuchUpload')) return { reason: 'upload_lost', retryable: false };
  if (is('NoSuchKey') || is('NotFound')) return { reason: 'not_found', retryable: false };
  if (is('NoSuchBucket') || name === 'CredentialsProviderError') return { reason: 'config', retryable: false };
  if (is('NotImplemented') || is('MethodNotAllowed') || status === 501 || status === 405) {
    return { reason: 'unsupported', retryable: false };
  }
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_NAMES.has(code) || NETWORK_CODES.has(errno) || e.$retryable !== undefined) {
    return { reason: 'unavailable', retryable: true };
  }
  if (status !== undefined) {
    if (status === 404) return { reason: 'not_found', retryable: false };
    if (status >= 500 || status === 429 || status === 408) return { reason: 'unavailable', retryable: true };
    return { reason: 'rejected', retryable: false };
  }
  // Sent by the SDK but never answered (the SDK attaches $metadata to every request it made).
  if (e.$metadata !== undefined) return { reason: 'unavailable', retryable: true };
  // Anything else (a bad region, a bug) will fail the same way again.
  return { reason: 'rejected', retryable: false };
}

export function s3Error(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const { reason, retryable } = classifyS3Error(err);
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new StorageError(reason, `${what}: ${detail}`, { retryable, cause: err });
}
