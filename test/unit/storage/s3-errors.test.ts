import { describe, expect, it } from 'vitest';
import { classifyS3Error, s3Error } from '../../../src/storage/s3-errors.ts';
import { StorageError } from '../../../src/storage/object-store.ts';

/** Errors shaped as the AWS SDK v3 and Node throw them. */
function sdk(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status }, ...extra });
}

describe('S3 error classification (pure)', () => {
  it.each([
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED', $metadata: {} }),
      'unavailable',
      true,
    ],
    ['socket hang up', Object.assign(sdk('TimeoutError'), { code: 'ECONNRESET' }), 'unavailable', true],
    ['DNS failure', Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }), 'unavailable', true],
    ['500 InternalError', sdk('InternalError', 500), 'unavailable', true],
    ['503 SlowDown', sdk('SlowDown', 503), 'unavailable', true],
    ['502 unknown', sdk('Unknown', 502), 'unavailable', true],
    ['429', sdk('TooManyRequests', 429), 'unavailable', true],
    ['SDK request never answered', sdk('Error'), 'unavailable', true],
    ['403 AccessDenied', sdk('AccessDenied', 403), 'rejected', false],
    ['400 EntityTooSmall', sdk('EntityTooSmall', 400), 'rejected', false],
    ['404 NotFound (HEAD)', sdk('NotFound', 404), 'not_found', false],
    ['NoSuchKey', sdk('NoSuchKey', 404), 'not_found', false],
    ['NoSuchBucket', sdk('NoSuchBucket', 404), 'config', false],
    ['NoSuchUpload', sdk('NoSuchUpload', 404), 'upload_lost', false],
    ['501 NotImplemented', sdk('NotImplemented', 501), 'unsupported', false],
    ['405 MethodNotAllowed', sdk('MethodNotAllowed', 405), 'unsupported', false],
    ['no credentials', sdk('CredentialsProviderError'), 'config', false],
    ['abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'aborted', false],
    ['a bug', new TypeError('x is not a function'), 'rejected', false],
  ] as const)('%s → %s', (_label, err, reason, retryable) => {
    expect(classifyS3Error(err)).toEqual({ reason, retryable });
  });

  it('wraps into a StorageError with the operation and keeps StorageErrors as they are', () => {
    const e = s3Error(sdk('SlowDown', 503), 'uploading part 3 of a.mp4');
    expect(e).toBeInstanceOf(StorageError);
    expect(e).toMatchObject({ reason: 'unavailable', retryable: true, scope: 'system', code: 'internal' });
    expect(e.message).toBe('uploading part 3 of a.mp4: SlowDown: SlowDown');
    const same = new StorageError('invalid_key', 'bad');
    expect(s3Error(same, 'x')).toBe(same);
    expect(same).toMatchObject({ code: 'invalid_request', scope: 'session', retryable: false });
  });
});
