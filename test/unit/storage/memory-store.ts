/**
 * An in-memory ObjectStore for unit tests, with injectable failures: `down = true` makes every call fail as
 * an unreachable store would; `failNext` queues specific errors. Records every call.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertKey } from '../../../src/storage/object-key.ts';
import {
  StorageError,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type PutSource,
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
    const parts = new Map<number, Buffer>();
    let completed = false;
    return {
      key,
      uploadPart: async (n, bytes) => {
        this.#enter(`part ${n} ${bytes.length}`);
        parts.set(n, Buffer.from(bytes));
      },
      complete: async () => {
        this.#enter(`complete ${key}`);
        if (completed) throw new StorageError('upload_lost', 'NoSuchUpload');
        const ordered = [...parts.entries()].sort(([a], [b]) => a - b);
        ordered.forEach(([n, b], i) => {
          if (n !== i + 1) throw new StorageError('rejected', 'gap in parts');
          if (i < ordered.length - 1 && b.length < this.minPartSize) throw new StorageError('rejected', `EntityTooSmall: part ${n}`);
        });
        this.objects.set(key, { bytes: Buffer.concat(ordered.map(([, b]) => b)), lastModifiedMs: this.now() });
        completed = true;
        if (this.loseCompleteAnswer) {
          this.loseCompleteAnswer = false;
          throw new StorageError('unavailable', 'socket hang up', { retryable: true });
        }
      },
      abort: async () => {
        this.aborted.push(key);
      },
    };
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
