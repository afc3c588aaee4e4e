/**
 * Object storage: one interface, implemented by the local filesystem store (the embedded default; links are
 * served by Scriba's own HTTP server) and by S3 / S3-compatible stores. One conformance suite
 * (test/conformance/object-store.suite.ts) runs against both.
 *
 * Keys are '/'-separated relative paths, validated the same way by every store (object-key.ts). Every
 * failure is a StorageError that says whether retrying can help (`retryable`: the store is down or busy).
 */
import { ScribaError, type ErrorCode, type ErrorScope } from '../domain/errors.ts';

export type StoreKind = 'local' | 's3';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModifiedMs: number;
  /** Changes whenever the content does (S3: the ETag without quotes; local: size and mtime). */
  readonly etag: string;
  /** Hex SHA-256 of the content when the store recorded it (S3 single-request puts), else null. */
  readonly sha256: string | null;
}

/** What a completed write stored, hashed while it was sent. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export type PutSource = { readonly path: string } | { readonly bytes: Uint8Array };

export interface OpOptions {
  readonly signal?: AbortSignal;
}

export interface WriteOptions extends OpOptions {
  /** Default: from the key's extension (content-type.ts). The local store always derives it when serving. */
  readonly contentType?: string;
}

/**
 * A multipart upload. Parts are numbered from 1 and must be contiguous when completing; every part but the
 * last must be at least `store.minPartSize` bytes. Uploading a part number again replaces that part (a retry
 * after a lost response is therefore safe). Calls must not overlap.
 */
export interface MultipartUpload {
  readonly key: string;
  /** The store's id of this upload: with the sent parts, enough for another process to resume it. */
  readonly uploadId: string;
  /** Returns what resuming needs to know about the part (record it with the part's SHA-256). */
  uploadPart(partNumber: number, bytes: Uint8Array, options?: OpOptions): Promise<SentPart>;
  /** Makes the object visible, atomically. */
  complete(options?: OpOptions): Promise<void>;
  /** Discards the parts; idempotent. */
  abort(options?: OpOptions): Promise<void>;
}

/** A part as the store acknowledged it. */
export interface SentPart {
  readonly partNumber: number;
  readonly size: number;
  /** S3: the part's ETag as the store sent it (quotes included); local: the part's hex SHA-256. */
  readonly etag: string;
}

/** A sent part as a checkpoint records it: enough to complete the upload without asking the store (ListParts). */
export interface RecordedPart extends SentPart {
  /** Hex SHA-256 of the part's bytes. */
  readonly sha256: string;
}

export interface ReadOptions extends OpOptions {
  /** Refuse (`rejected`) an object (or range) larger than this instead of reading it into memory. */
  readonly maxBytes?: number;
  /**
   * Only bytes [start, end) (end clipped to the object's size; start must be below it), e.g. the head and
   * tail of a recording too long to read whole.
   */
  readonly range?: { readonly start: number; readonly end: number };
}

export interface ObjectStore {
  readonly kind: StoreKind;
  /** For logs and metrics labels, e.g. `s3://bucket/prefix/` or `file:///srv/recordings-store`. */
  readonly description: string;
  readonly minPartSize: number;
  readonly maxParts: number;
  /** Stores a whole object (replacing any object at the key) and returns what was stored. */
  put(key: string, source: PutSource, options?: WriteOptions): Promise<StoredObject>;
  createMultipart(key: string, options?: WriteOptions): Promise<MultipartUpload>;
  /**
   * An upload another process started (it may have died), continued from the parts it recorded: parts
   * 1…n, contiguous; complete() sends exactly those unless more are uploaded. Fails with
   * StorageError('upload_lost') when the store no longer knows the upload id (aborted, completed, expired,
   * or made for another key): at once where the store can tell (local; S3 with ListParts), otherwise at the
   * first uploadPart()/complete() (see docs/storage.md, "Resuming an upload").
   */
  resumeMultipart(key: string, uploadId: string, parts: readonly RecordedPart[], options?: OpOptions): Promise<MultipartUpload>;
  /** A whole (small) object's bytes, or null when missing. */
  read(key: string, options?: ReadOptions): Promise<Uint8Array | null>;
  head(key: string, options?: OpOptions): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix` (a plain string prefix, as in S3), sorted by key. */
  list(prefix: string, options?: OpOptions): Promise<ObjectInfo[]>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string, options?: OpOptions): Promise<void>;
  /**
   * A URL anyone can GET the object from until `ttlSec` from now (1 s … 7 days: the SigV4 limit, kept for
   * both stores), served as a download (Content-Disposition: attachment). The object need not exist yet.
   */
  link(key: string, ttlSec: number): Promise<string>;
  /** Discards multipart uploads started before `olderThanMs` (crashed or abandoned); returns how many. */
  abortIncompleteUploads(olderThanMs: number, options?: OpOptions): Promise<number>;
}

export const MAX_LINK_TTL_SEC = 7 * 24 * 3600;

export type StorageFailure =
  | 'invalid_key'
  | 'not_found'
  /** The store cannot be reached or is overloaded: retrying can help. */
  | 'unavailable'
  /** The store refused the request (permissions, bad request): retrying the same request will not help. */
  | 'rejected'
  /**
   * The multipart upload is gone on the store's side (aborted by a lifecycle rule or another process,
   * completed already, or an id the store never knew): resuming it cannot work.
   */
  | 'upload_lost'
  | 'unsupported'
  | 'config'
  /** The local file changed or disappeared under an upload. */
  | 'local_changed'
  | 'verify_failed'
  | 'aborted';

export interface StorageErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

function codeFor(reason: StorageFailure): ErrorCode {
  if (reason === 'invalid_key') return 'invalid_request';
  if (reason === 'aborted') return 'aborted';
  return 'internal';
}

function scopeFor(reason: StorageFailure): ErrorScope {
  return reason === 'invalid_key' || reason === 'local_changed' || reason === 'not_found' ? 'session' : 'system';
}

export class StorageError extends ScribaError {
  readonly reason: StorageFailure;

  constructor(reason: StorageFailure, message: string, options: StorageErrorOptions = {}) {
    super(codeFor(reason), message, {
      scope: scopeFor(reason),
      retryable: options.retryable ?? reason === 'unavailable',
      cause: options.cause,
    });
    this.name = 'StorageError';
    this.reason = reason;
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err instanceof StorageError && err.reason === 'aborted'));
}

export function abortedError(cause?: unknown): StorageError {
  return new StorageError('aborted', 'the storage operation was aborted', { cause });
}

/** Throws a StorageError('aborted') when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal.reason);
}

export function assertLinkTtl(ttlSec: number): void {
  if (!Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > MAX_LINK_TTL_SEC) {
    throw new StorageError('config', `link TTL must be a whole number of seconds in 1…${MAX_LINK_TTL_SEC}, got ${ttlSec}`);
  }
}

/** Recorded parts must be 1…n in order, each with a size, an ETag and a SHA-256 (pure). */
export function assertRecordedParts(key: string, parts: readonly RecordedPart[]): void {
  parts.forEach((p, i) => {
    const ok =
      p.partNumber === i + 1 &&
      Number.isSafeInteger(p.size) &&
      p.size >= 0 &&
      typeof p.etag === 'string' &&
      p.etag !== '' &&
      typeof p.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(p.sha256);
    if (!ok) throw new StorageError('rejected', `resuming the upload of ${key}: recorded part ${i + 1} is malformed or out of order`);
  });
}

/** Bytes [start, end) a read covers in an object of `size` bytes (pure): all of it without a range. */
export function readSpan(key: string, size: number, range: ReadOptions['range']): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start || start >= size) {
    throw new StorageError('rejected', `reading ${key}: range [${start}, ${end}) does not lie within its ${size} bytes`);
  }
  return { start, end: Math.min(end, size) };
}
