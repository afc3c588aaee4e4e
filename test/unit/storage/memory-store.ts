/**
 * An in-memory ObjectStore for unit tests, with injectable failures: `down = true` makes every call fail as
 * an unreachable store would; `failNext` queues specific errors. Records every call.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertKey } from '../../../src/storage/object-key.ts';
import {
  StorageError,
  readSpan,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type PutSource,
  type ReadOptions,
  type RecordedPart,
  type StoredObject,
} from '../../../src/storage/object-store.ts';

export class MemoryStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly description = 'memory://';
  readonly minPartSize: number;
  readonly maxParts: number;
  readonly objects = new Map<string, { bytes: Buffer; lastModifiedMs: number }>();
  readonly calls: string[] = [];
  readonly aborted: string[] = [];
  /** Multipart uploads in progress, by upload id (what a resumed upload finds). */
  readonly uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  #nextUploadId = 1;
  down = false;
  /** The next complete stores the object but its answer is lost (an error); asking again: NoSuchUpload. */
  loseCompleteAnswer = false;
  readonly failNext: StorageError[] = [];
  /** Fails the calls it returns an error for (checked before failNext). */
  failWhen: ((call: string) => StorageError | undefined) | null = null;
  now: () => number = Date.now;

  constructor(opts: { minPartSize?: number; maxParts?: number } = {}) {
    this.minPartSize = opts.minPartSize ?? 1;
    this.maxParts = opts.maxParts ?? 10_000;
  }

  #enter(call: string): void {
    this.calls.push(call);
    const chosen = this.failWhen?.(call);
    if (chosen !== undefined) throw chosen;
    const queued = this.failNext.shift();
    if (queued !== undefined) throw queued;
    if (this.down) throw new StorageError('unavailable', `${call}: connect ECONNREFUSED`, { retryable: true });
  }

  async put(key: string, source: PutSource): Promise<StoredObject> {
    assertKey(key);
    this.#enter(`put ${key}`);
    const bytes = 'bytes' in source ? Buffer.from(source.bytes) : await readFile(source.path);
    this.objects.set(key, { bytes, lastModifiedMs: this.now() });
    return { key, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async createMultipart(key: string): Promise<MultipartUpload> {
    assertKey(key);
    this.#enter(`create ${key}`);
    const uploadId = `upload-${this.#nextUploadId++}`;
    this.uploads.set(uploadId, { key, parts: new Map() });
    return this.#upload(key, uploadId);
  }

  async resumeMultipart(key: string, uploadId: string, recorded: readonly RecordedPart[]): Promise<MultipartUpload> {
    assertKey(key);
    this.#enter(`resume ${key} ${uploadId}`);
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.key !== key) throw new StorageError('upload_lost', `NoSuchUpload ${uploadId}`);
    for (const p of recorded) {
      if (upload.parts.get(p.partNumber)?.length !== p.size) throw new StorageError('verify_failed', `part ${p.partNumber} differs`);
    }
    return this.#upload(key, uploadId);
  }

  #upload(key: string, uploadId: string): MultipartUpload {
    const state = (): Map<number, Buffer> => {
      const u = this.uploads.get(uploadId);
      if (u === undefined) throw new StorageError('upload_lost', `NoSuchUpload ${uploadId}`);
      return u.parts;
    };
    return {
      key,
      uploadId,
      uploadPart: async (n, bytes) => {
        this.#enter(`part ${n} ${bytes.length}`);
        state().set(n, Buffer.from(bytes));
        return { partNumber: n, size: bytes.length, etag: `"etag-${n}-${bytes.length}"` };
      },
      complete: async () => {
        this.#enter(`complete ${key}`);
        const ordered = [...state().entries()].sort(([a], [b]) => a - b);
        ordered.forEach(([n, b], i) => {
          if (n !== i + 1) throw new StorageError('rejected', 'gap in parts');
          if (i < ordered.length - 1 && b.length < this.minPartSize) throw new StorageError('rejected', `EntityTooSmall: part ${n}`);
        });
        this.objects.set(key, { bytes: Buffer.concat(ordered.map(([, b]) => b)), lastModifiedMs: this.now() });
        this.uploads.delete(uploadId);
        if (this.loseCompleteAnswer) {
          this.loseCompleteAnswer = false;
          throw new StorageError('unavailable', 'socket hang up', { retryable: true });
        }
      },
      abort: async () => {
        this.aborted.push(key);
        this.uploads.delete(uploadId);
      },
    };
  }

  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array | null> {
    this.#enter(`read ${key}`);
    const o = this.objects.get(key);
    if (o === undefined) return null;
    const { start, end } = readSpan(key, o.bytes.length, options.range);
    if (options.maxBytes !== undefined && end - start > options.maxBytes) throw new StorageError('rejected', 'too big');
    return Buffer.from(o.bytes.subarray(start, end));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    this.#enter(`head ${key}`);
    const o = this.objects.get(key);
    return o === undefined ? null : { key, size: o.bytes.length, lastModifiedMs: o.lastModifiedMs, etag: 'e', sha256: null };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    this.#enter(`list ${prefix}`);
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, o]) => ({ key, size: o.bytes.length, lastModifiedMs: o.lastModifiedMs, etag: 'e', sha256: null }));
  }

  async delete(key: string): Promise<void> {
    this.#enter(`delete ${key}`);
    this.objects.delete(key);
  }

  async link(key: string): Promise<string> {
    return `memory://${key}`;
  }

  async abortIncompleteUploads(): Promise<number> {
    this.#enter('abortIncomplete');
    return 0;
  }
}
