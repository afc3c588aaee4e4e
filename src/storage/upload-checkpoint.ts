/**
 * What a growing-file upload reports as it goes, so that another process can finish it after this one died
 * (salvage-upload.ts). Plain JSON data: keys, the store's upload id, part numbers, sizes, ETags and hashes;
 * no credentials, no URLs, no local paths. The queue stores it with the job; parseUploadCheckpoint checks
 * one read back (it may be old, or written by another version) before anything acts on it.
 *
 * Bytes [0, partBytes) are in multipart parts 1…n; the bytes after them (the tail, up to a point where the
 * content is whole) are in small objects `<key>.tail-<seq>` refreshed every few seconds, each named with its
 * offset, size and SHA-256. See docs/storage.md, "Salvage".
 */
import { assertKey } from './object-key.ts';
import { StorageError, assertRecordedParts, type RecordedPart } from './object-store.ts';

export const CHECKPOINT_VERSION = 1;

export interface TailChunk {
  readonly key: string;
  /** Offset in the file of its first byte. */
  readonly start: number;
  readonly size: number;
  readonly sha256: string;
}

export interface UploadCheckpoint {
  readonly version: typeof CHECKPOINT_VERSION;
  readonly key: string;
  readonly contentType: string;
  /** null until the first whole part went up (the multipart upload is created with it). */
  readonly uploadId: string | null;
  readonly parts: readonly RecordedPart[];
  /** Bytes held by the parts (their sizes' sum). */
  readonly partBytes: number;
  /** In file order and contiguous; the first may begin before partBytes (salvage skips what the parts hold). */
  readonly tail: readonly TailChunk[];
  /** Bytes a salvage rebuilds when every tail chunk is intact: max(partBytes, end of the tail). */
  readonly bytes: number;
  /** The longest whole prefix (ContentBoundary) known within `bytes`; == bytes when the tail is in use. */
  readonly wholeBytes: number;
  /** When the upload began (ms since the epoch). */
  readonly startedAtMs: number;
  readonly updatedAtMs: number;
}

const TAIL_INFIX = '.tail-';

/** The key of the `seq`th tail chunk of `key` (pure). */
export function tailChunkKey(key: string, seq: number): string {
  return `${key}${TAIL_INFIX}${String(seq).padStart(6, '0')}`;
}

/** Every tail chunk of `key` starts with this (a plain list prefix). */
export function tailChunkPrefix(key: string): string {
  return `${key}${TAIL_INFIX}`;
}

function bad(why: string): StorageError {
  return new StorageError('rejected', `invalid upload checkpoint: ${why}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/**
 * A checkpoint read back from the queue, checked (pure): every key is valid, tail chunks are named after the
 * checkpoint's key (so salvage never reads or deletes anything else), parts and chunks are contiguous.
 */
export function parseUploadCheckpoint(value: unknown): UploadCheckpoint {
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const v = value as Record<string, unknown>;
  if (v['version'] !== CHECKPOINT_VERSION) throw bad(`unknown version ${JSON.stringify(v['version'])}`);
  const key = v['key'];
  if (typeof key !== 'string') throw bad('no key');
  try {
    assertKey(key);
  } catch {
    throw bad('the key is not a valid object key');
  }
  const uploadId = v['uploadId'];
  if (uploadId !== null && (typeof uploadId !== 'string' || uploadId === '' || uploadId.length > 1024)) throw bad('bad upload id');
  const contentType = typeof v['contentType'] === 'string' ? v['contentType'] : 'application/octet-stream';
  if (!Array.isArray(v['parts'])) throw bad('no parts');
  const parts: RecordedPart[] = v['parts'].map((p: unknown) => {
    const r = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    return { partNumber: r['partNumber'] as number, size: r['size'] as number, etag: r['etag'] as string, sha256: r['sha256'] as string };
  });
  try {
    assertRecordedParts(key, parts);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (parts.length > 0 && uploadId === null) throw bad('parts without an upload id');
  const partBytes = parts.reduce((sum, p) => sum + p.size, 0);
  if (!Array.isArray(v['tail'])) throw bad('no tail');
  const prefix = tailChunkPrefix(key);
  const tail: TailChunk[] = v['tail'].map((c: unknown) => {
    const r = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    const chunk = { key: r['key'], start: r['start'], size: r['size'], sha256: r['sha256'] };
    if (typeof chunk.key !== 'string' || !chunk.key.startsWith(prefix) || !/^\d{6,}$/.test(chunk.key.slice(prefix.length))) {
      throw bad('a tail chunk is not named after the key');
    }
    if (!isCount(chunk.start) || !isCount(chunk.size) || chunk.size === 0 || !isHex64(chunk.sha256)) throw bad('a malformed tail chunk');
    return chunk as TailChunk;
  });
  tail.forEach((c, i) => {
    const prev = tail[i - 1];
    if (prev !== undefined && prev.start + prev.size !== c.start) throw bad('tail chunks are not contiguous');
  });
  const first = tail[0];
  if (first !== undefined && (first.start > partBytes || first.start + first.size <= partBytes)) {
    throw bad('the tail does not continue the parts');
  }
  const last = tail.at(-1);
  const bytes = last === undefined ? partBytes : last.start + last.size;
  const wholeBytes = isCount(v['wholeBytes']) ? Math.min(v['wholeBytes'], bytes) : 0;
  const startedAtMs = isCount(v['startedAtMs']) ? v['startedAtMs'] : 0;
  const updatedAtMs = isCount(v['updatedAtMs']) ? v['updatedAtMs'] : 0;
  return { version: CHECKPOINT_VERSION, key, contentType, uploadId, parts, partBytes, tail, bytes, wholeBytes, startedAtMs, updatedAtMs };
}
