/**
 * Upload as you record: sends a file that is still being written (the crash-safe fragmented MP4 only ever
 * grows) to a store as multipart parts, each as soon as the file has enough bytes for it, so that after the
 * recording stops only the tail is left to send. Works with any ObjectStore (the local store writes the parts
 * into a temp file and renames it at the end).
 *
 * - Never reads past the bytes the file has; parts come from part-plan.ts.
 * - The store being down is not an error: each part is retried with back-off (retry.ts) until it recovers,
 *   the policy gives up, or the signal aborts. The local file is only ever read.
 * - finish() sends the tail, re-reads the local file and compares it part by part with what was sent (a part
 *   that changed after it was sent, e.g. a header patched in place, is sent again), completes, checks the
 *   stored size, and returns the size and SHA-256: the caller may delete the local copy after that.
 * - A file that ends up no bigger than one part is sent with a single put (no multipart upload at all).
 * - Always call finish(), abort() or detach(); a failure or abort discards the partial upload on the store.
 * - With `checkpoint`: after every part, and every `tailIntervalMs` for the bytes after the last part (stored
 *   as small tail objects, cut where the content is whole), reports an UploadCheckpoint from which
 *   salvageUpload() can finish the upload in another process if this one dies. Tail objects are deleted once
 *   a persisted checkpoint no longer names them, and all of them when the upload completes or is discarded.
 *   detach() stops without discarding anything, leaving the upload to salvage.
 */
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { onAbort } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import {
  StorageError,
  abortedError,
  type MultipartUpload,
  type ObjectStore,
  type OpOptions,
  type RecordedPart,
  type StoredObject,
} from './object-store.ts';
import { assertKey } from './object-key.ts';
import { contentTypeFor } from './content-type.ts';
import { errnoOf, hashRange, localError, readExactly } from './local-fs.ts';
import { DEFAULT_PART_SIZE, effectivePartSize, planParts, type PlannedPart } from './part-plan.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, realSleep, retrying, type RetryPolicy, type Sleep } from './retry.ts';
import type { ContentBoundary } from './content-boundary.ts';
import { CHECKPOINT_VERSION, tailChunkKey, type TailChunk, type UploadCheckpoint } from './upload-checkpoint.ts';

/** How often the tail is stored by default: a crash loses at most this plus one fragment of media. */
export const DEFAULT_TAIL_INTERVAL_MS = 5_000;

export interface CheckpointOptions {
  /**
   * Receives each new checkpoint (awaited before the next step; tail objects it no longer names are deleted
   * only after it resolved). A rejection is logged and the upload goes on: the previous checkpoint stays valid.
   */
  readonly onCheckpoint: (checkpoint: UploadCheckpoint) => void | Promise<void>;
  /** How often the bytes after the last part are stored as a tail object (ms, default 5000; 0: never). */
  readonly tailIntervalMs?: number;
  /** Where a tail may end (default: any byte; recordings: mp4FragmentBoundary()). */
  readonly boundary?: ContentBoundary;
}

export interface GrowingFileUploadOptions {
  readonly store: ObjectStore;
  readonly key: string;
  /** The local file; it may not exist yet (the upload waits for it). */
  readonly path: string;
  readonly contentType?: string;
  /** Default 8 MiB; raised to the store's minimum (S3: 5 MiB). */
  readonly partSize?: number;
  /** How often to look for new bytes (ms, default 1000). */
  readonly pollMs?: number;
  /**
   * What finish() reads again to compare with what was sent. 'all' (default): the whole file, ~1.6 s per GiB
   * from the page cache on the shared 2-core dev machine. 'first-part': only part 1, where a muxer would patch
   * a header in place (ffmpeg's fragmented MP4 never does: it only appends), so the stop → done time no
   * longer grows with the length; the size is still checked.
   */
  readonly recheck?: 'all' | 'first-part';
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Aborting stops the upload and discards what was sent; the local file is untouched. */
  readonly signal?: AbortSignal;
  readonly checkpoint?: CheckpointOptions;
}

export interface UploadProgress {
  readonly uploadedBytes: number;
  readonly partsUploaded: number;
  /** Failed attempts so far (each followed by a back-off). */
  readonly failures: number;
  /** True while the last attempt failed and the next one is waiting. */
  readonly storeDown: boolean;
  readonly lastError: string | null;
}

export interface UploadResult extends StoredObject {
  /** Multipart parts (0: stored with one put). */
  readonly parts: number;
  /** Parts sent again because the local file changed after they were sent. */
  readonly resentParts: number;
  readonly failures: number;
}

export interface GrowingFileUpload {
  readonly key: string;
  progress(): UploadProgress;
  /** Call once the file is complete (the writer has exited). Idempotent: returns the same promise. */
  finish(options?: OpOptions): Promise<UploadResult>;
  /** Stops and discards the partial upload; a no-op after finish() succeeded. */
  abort(): Promise<void>;
  /**
   * Stops sending and leaves everything on the store as the last checkpoint describes it, for salvage (the
   * worker is going away mid-recording). Resolves with that checkpoint (null if none was made). finish()
   * then rejects.
   */
  detach(): Promise<UploadCheckpoint | null>;
  /** The last checkpoint made (null before the first); what onCheckpoint received last. */
  checkpoint(): UploadCheckpoint | null;
}

export function startGrowingFileUpload(options: GrowingFileUploadOptions): GrowingFileUpload {
  return new Uploader(options);
}

interface SentPart extends PlannedPart {
  readonly sha256: string;
  readonly etag: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Completing may have worked with its answer lost: an object of the right size since we started is ours. */
const COMPLETE_CLOCK_SKEW_MS = 60_000;

class Uploader implements GrowingFileUpload {
  readonly key: string;
  readonly #o: GrowingFileUploadOptions;
  readonly #partSize: number;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  readonly #wake = new AbortController();
  readonly #signal: AbortSignal;
  readonly #startedAtMs: number;
  readonly #streamHash = createHash('sha256');
  readonly #parts: SentPart[] = [];
  #fh: FileHandle | null = null;
  #upload: MultipartUpload | null = null;
  #finishing = false;
  #detached = false;
  readonly #boundary: ContentBoundary | null;
  /** Cut points after the sent parts (ascending); unused once #anyCut. */
  #cuts: number[] = [];
  #anyCut: boolean;
  /** Tail chunks the next checkpoint names (they end after the parts), and those only older checkpoints name. */
  #tail: TailChunk[] = [];
  #deadTail: TailChunk[] = [];
  #tailSeq = 0;
  #lastTailAtMs: number;
  #wholeEnd = 0;
  #lastCheckpoint: UploadCheckpoint | null = null;
  /** The last checkpoint was made but onCheckpoint failed. */
  #unsaved = false;
  #failures = 0;
  #storeDown = false;
  #lastError: string | null = null;
  readonly #loop: Promise<void>;
  #result: Promise<UploadResult> | null = null;

  constructor(o: GrowingFileUploadOptions) {
    this.key = assertKey(o.key);
    this.#o = o;
    this.#partSize = effectivePartSize(o.partSize ?? DEFAULT_PART_SIZE, o.store.minPartSize);
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...o.retry };
    this.#sleep = o.sleep ?? realSleep;
    this.#now = o.now ?? Date.now;
    this.#startedAtMs = this.#now();
    this.#lastTailAtMs = this.#startedAtMs;
    this.#boundary = o.checkpoint?.boundary ?? null;
    this.#anyCut = this.#boundary === null;
    this.#signal = o.signal === undefined ? this.#stop.signal : AbortSignal.any([o.signal, this.#stop.signal]);
    this.#loop = this.#grow();
    this.#loop.catch((err: unknown) => {
      this.#lastError = err instanceof Error ? err.message : String(err);
    });
  }

  progress(): UploadProgress {
    return {
      uploadedBytes: this.#uploadedEnd(),
      partsUploaded: this.#parts.length,
      failures: this.#failures,
      storeDown: this.#storeDown,
      lastError: this.#lastError,
    };
  }

  finish(options: OpOptions = {}): Promise<UploadResult> {
    this.#result ??= this.#finish(options.signal);
    return this.#result;
  }

  async abort(): Promise<void> {
    if (this.#detached) return;
    this.#stop.abort(abortedError());
    await this.finish().catch(() => undefined);
  }

  async detach(): Promise<UploadCheckpoint | null> {
    if (this.#result === null) {
      this.#detached = true;
      const detached = Promise.reject(new StorageError('aborted', `the upload of ${this.key} was detached for salvage`));
      detached.catch(() => undefined);
      this.#result = detached;
      this.#stop.abort(abortedError());
      await this.#loop.catch(() => undefined);
      await this.#fh?.close().catch(() => undefined);
      this.#fh = null;
    }
    return this.#lastCheckpoint;
  }

  checkpoint(): UploadCheckpoint | null {
    return this.#lastCheckpoint;
  }

  #uploadedEnd(): number {
    return this.#parts.at(-1)?.end ?? 0;
  }

  #plan(available: number, final: boolean): PlannedPart[] {
    return planParts({
      uploadedEnd: this.#uploadedEnd(),
      nextPartNumber: this.#parts.length + 1,
      available,
      basePartSize: this.#partSize,
      maxParts: this.#o.store.maxParts,
      final,
      ...(this.#anyCut ? {} : { cuts: this.#cuts }),
    });
  }

  /** Finds where the file may be cut, up to `size`. */
  async #scan(size: number): Promise<void> {
    if (this.#anyCut || this.#boundary === null) {
      this.#wholeEnd = Math.max(this.#wholeEnd, size);
      return;
    }
    if (size === 0) return;
    const found = await this.#boundary.advance(await this.#open(), size);
    if (found === null) {
      this.#o.logger?.warn({ key: this.key }, 'the file does not have the expected structure: cutting it anywhere');
      this.#anyCut = true;
      this.#cuts = [];
      this.#wholeEnd = Math.max(this.#wholeEnd, size);
      return;
    }
    this.#cuts.push(...found);
    this.#wholeEnd = Math.max(this.#wholeEnd, ...found);
  }

  /** While recording: sends every whole part the file has, then waits for more. */
  async #grow(): Promise<void> {
    while (!this.#finishing) {
      if (this.#signal.aborted) throw abortedError(this.#signal.reason);
      const size = await this.#currentSize();
      await this.#scan(size);
      const plan = this.#plan(size, false);
      if (plan.length === 0) {
        if (this.#tailDue()) await this.#sendTail();
        await this.#sleep(this.#o.pollMs ?? 1_000, AbortSignal.any([this.#signal, this.#wake.signal]));
        continue;
      }
      for (const part of plan) await this.#sendPart(part);
      const sent = this.#uploadedEnd();
      this.#cuts = this.#cuts.filter((c) => c > sent);
      await this.#saveCheckpoint();
    }
  }

  #tailDue(): boolean {
    const interval = this.#o.checkpoint?.tailIntervalMs ?? DEFAULT_TAIL_INTERVAL_MS;
    return this.#o.checkpoint !== undefined && interval > 0 && this.#now() - this.#lastTailAtMs >= interval;
  }

  /** Stores the bytes after the last part and the last tail chunk, up to where the content is whole. */
  async #sendTail(): Promise<void> {
    this.#lastTailAtMs = this.#now();
    const start = Math.max(this.#uploadedEnd(), this.#tailEnd());
    if (this.#wholeEnd <= start) {
      if (this.#unsaved) await this.#saveCheckpoint(); // nothing new, but the last one never got through
      return;
    }
    const bytes = await readExactly(await this.#open(), start, this.#wholeEnd - start);
    this.#tailSeq += 1;
    const chunk: TailChunk = { key: tailChunkKey(this.key, this.#tailSeq), start, size: bytes.length, sha256: sha256(bytes) };
    await this.#retry('tail', () =>
      this.#o.store.put(chunk.key, { bytes }, { contentType: 'application/octet-stream', signal: this.#signal }),
    );
    this.#tail.push(chunk);
    await this.#saveCheckpoint();
  }

  #tailEnd(): number {
    const last = this.#tail.at(-1);
    return last === undefined ? 0 : last.start + last.size;
  }

  /** Makes a checkpoint of what is on the store now, hands it over, then deletes tail chunks nothing names. */
  async #saveCheckpoint(): Promise<void> {
    const cb = this.#o.checkpoint;
    if (cb === undefined) return;
    const partBytes = this.#uploadedEnd();
    const live = this.#tail.filter((c) => c.start + c.size > partBytes);
    this.#deadTail.push(...this.#tail.filter((c) => c.start + c.size <= partBytes));
    this.#tail = live;
    const bytes = Math.max(partBytes, this.#tailEnd());
    const checkpoint: UploadCheckpoint = {
      version: CHECKPOINT_VERSION,
      key: this.key,
      contentType: this.#contentType(),
      uploadId: this.#upload?.uploadId ?? null,
      parts: this.#parts.map((p): RecordedPart => ({ partNumber: p.partNumber, size: p.end - p.start, etag: p.etag, sha256: p.sha256 })),
      partBytes,
      tail: [...live],
      bytes,
      wholeBytes: Math.min(this.#wholeEnd, bytes),
      startedAtMs: this.#startedAtMs,
      updatedAtMs: this.#now(),
    };
    this.#lastCheckpoint = checkpoint;
    try {
      await cb.onCheckpoint(checkpoint);
      this.#unsaved = false;
    } catch (err) {
      this.#unsaved = true;
      this.#o.logger?.warn(
        { key: this.key, err: err instanceof Error ? err.message : String(err) },
        'could not save the upload checkpoint',
      );
      return;
    }
    await this.#deleteTail(this.#deadTail.splice(0));
  }

  /** Best effort: a chunk left behind is deleted by salvage or the retention sweep. */
  async #deleteTail(chunks: readonly TailChunk[]): Promise<void> {
    for (const chunk of chunks) {
      await this.#o.store.delete(chunk.key, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
        this.#o.logger?.warn({ key: chunk.key, err: err instanceof Error ? err.message : String(err) }, 'could not delete a tail object');
      });
    }
  }

  async #open(): Promise<FileHandle> {
    this.#fh ??= await open(this.#o.path, 'r').catch((err: unknown) => {
      throw localError(err, `opening ${this.#o.path}`);
    });
    return this.#fh;
  }

  async #currentSize(): Promise<number> {
    try {
      return (await stat(this.#o.path)).size;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return 0; // not created yet
      throw localError(err, `reading ${this.#o.path}`);
    }
  }

  async #finish(signal: AbortSignal | undefined): Promise<UploadResult> {
    const stopListening = onAbort(signal, () => this.#stop.abort(abortedError(signal?.reason)));
    this.#finishing = true;
    this.#wake.abort();
    try {
      await this.#loop;
      const result = await this.#finalize();
      await this.#deleteTail([...this.#deadTail.splice(0), ...this.#tail.splice(0)]);
      return result;
    } catch (err) {
      await this.#discard();
      throw this.#signal.aborted && !(err instanceof StorageError && err.reason === 'aborted') ? abortedError(err) : err;
    } finally {
      stopListening();
      await this.#fh?.close().catch(() => undefined);
      this.#fh = null;
    }
  }

  async #finalize(): Promise<UploadResult> {
    const size = await this.#finalSize();
    if (size < this.#uploadedEnd()) {
      throw new StorageError('local_changed', `${this.#o.path} shrank to ${size} bytes after ${this.#uploadedEnd()} were sent`);
    }
    if (this.#upload === null && size <= this.#partSize) return this.#putWhole(size);
    for (const part of this.#plan(size, true)) await this.#sendPart(part);
    const local = await this.#compareWithLocal(size, this.#streamHash.digest('hex'));
    await this.#complete(size);
    await this.#checkStored(size);
    this.#o.logger?.info({ key: this.key, size, parts: this.#parts.length, failures: this.#failures }, 'upload complete and verified');
    return { key: this.key, size, sha256: local.sha256, parts: this.#parts.length, resentParts: local.resent, failures: this.#failures };
  }

  async #finalSize(): Promise<number> {
    try {
      return (await stat(this.#o.path)).size;
    } catch (err) {
      throw new StorageError('local_changed', `${this.#o.path} is gone: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  /** A file of at most one part: one put, no multipart upload. */
  async #putWhole(size: number): Promise<UploadResult> {
    const fh = await open(this.#o.path, 'r');
    let bytes: Buffer;
    try {
      bytes = await readExactly(fh, 0, size);
      if ((await fh.stat()).size !== size) throw this.#stillGrowing();
    } finally {
      await fh.close();
    }
    const digest = sha256(bytes);
    const { value: stored } = await this.#retry('storing', () =>
      this.#o.store.put(this.key, { bytes }, { contentType: this.#contentType(), signal: this.#signal }),
    );
    if (stored.sha256 !== digest || stored.size !== size) {
      throw new StorageError('verify_failed', `${this.key}: the store hashed ${stored.size} bytes as ${stored.sha256}`);
    }
    await this.#checkStored(size);
    return { key: this.key, size, sha256: digest, parts: 0, resentParts: 0, failures: this.#failures };
  }

  #contentType(): string {
    return this.#o.contentType ?? contentTypeFor(this.key);
  }

  #stillGrowing(): StorageError {
    return new StorageError('local_changed', `${this.#o.path} is still being written: finish() only once the writer is done`);
  }

  async #sendPart(part: PlannedPart): Promise<void> {
    const bytes = await readExactly(await this.#open(), part.start, part.end - part.start);
    this.#streamHash.update(bytes);
    const sent = await this.#put(part.partNumber, bytes);
    this.#parts.push({ ...part, sha256: sha256(bytes), etag: sent.etag });
  }

  async #put(partNumber: number, bytes: Uint8Array): Promise<{ etag: string }> {
    if (this.#upload === null) {
      const { value } = await this.#retry('starting', () =>
        this.#o.store.createMultipart(this.key, { contentType: this.#contentType(), signal: this.#signal }),
      );
      this.#upload = value;
    }
    const upload = this.#upload;
    const { value } = await this.#retry(`part ${partNumber}`, () => upload.uploadPart(partNumber, bytes, { signal: this.#signal }));
    return value;
  }

  /**
   * Reads the local file again (all of it, or only part 1 with recheck 'first-part') and compares every part
   * with the SHA-256 of what was sent; a part that differs is sent again (same number, same size: the file
   * changed in place). When nothing differed the file's SHA-256 is the one computed while sending; otherwise
   * it is computed anew.
   */
  async #compareWithLocal(size: number, streamed: string): Promise<{ sha256: string; resent: number }> {
    const fh = await open(this.#o.path, 'r');
    try {
      let resent = 0;
      for (const part of this.#parts) {
        if (this.#o.recheck === 'first-part' && part.partNumber > 1) break;
        const partHash = createHash('sha256');
        await hashRange(fh, part.start, part.end, [partHash], this.#signal);
        if (partHash.digest('hex') === part.sha256) continue;
        this.#o.logger?.warn({ key: this.key, part: part.partNumber }, 'local file changed after the part was sent: sending it again');
        await this.#put(part.partNumber, await readExactly(fh, part.start, part.end - part.start));
        // The checkpoint's ETag and hash of this part are stale now: salvage would fail on them rather than
        // build a wrong file, and no checkpoint is made after this point.
        resent += 1;
      }
      let sha256 = streamed;
      if (resent > 0) {
        const whole = createHash('sha256');
        await hashRange(fh, 0, size, [whole], this.#signal);
        sha256 = whole.digest('hex');
      }
      if ((await fh.stat()).size !== size) throw this.#stillGrowing();
      return { sha256, resent };
    } finally {
      await fh.close();
    }
  }

  async #complete(size: number): Promise<void> {
    const upload = this.#upload;
    if (upload === null) throw new StorageError('verify_failed', `${this.key}: nothing to complete`);
    let attempts = 0;
    await this.#retry('completing', async () => {
      attempts += 1;
      try {
        await upload.complete({ signal: this.#signal });
      } catch (err) {
        if (attempts > 1 || isRetryable(err) || (err instanceof StorageError && err.reason === 'upload_lost')) {
          const info = await this.#o.store.head(this.key, { signal: this.#signal }).catch(() => null);
          if (info !== null && info.size === size && info.lastModifiedMs >= this.#startedAtMs - COMPLETE_CLOCK_SKEW_MS) return;
        }
        throw err;
      }
    });
  }

  async #checkStored(size: number): Promise<void> {
    const { value: info } = await this.#retry('checking', () => this.#o.store.head(this.key, { signal: this.#signal }));
    if (info === null || info.size !== size) {
      throw new StorageError('verify_failed', `${this.key}: stored ${info === null ? 'nothing' : `${info.size} bytes`}, expected ${size}`);
    }
  }

  async #retry<T>(what: string, op: () => Promise<T>): Promise<{ value: T; failures: number }> {
    const result = await retrying(op, {
      policy: this.#policy,
      signal: this.#signal,
      sleep: this.#sleep,
      now: this.#now,
      ...(this.#o.random === undefined ? {} : { random: this.#o.random }),
      onRetry: (err, failures, delayMs) => {
        this.#failures += 1;
        this.#storeDown = true;
        this.#lastError = err.message;
        // The first failure and then every tenth: an hour-long outage is not 7,000 lines.
        if (failures === 1 || failures % 10 === 0) {
          this.#o.logger?.warn({ key: this.key, what, failures, delayMs, err: err.message }, 'store unavailable, retrying');
        }
      },
    });
    if (result.failures > 0) {
      this.#storeDown = false;
      this.#o.logger?.info({ key: this.key, what, failures: result.failures }, 'store reachable again');
    }
    return result;
  }

  async #discard(): Promise<void> {
    await this.#deleteTail([...this.#deadTail.splice(0), ...this.#tail.splice(0)]);
    const upload = this.#upload;
    this.#upload = null;
    if (upload === null) return;
    // Our own signal may be the reason we are here: give the abort its own short deadline.
    await upload.abort({ signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
      this.#o.logger?.warn(
        { key: this.key, err: err instanceof Error ? err.message : String(err) },
        'could not discard the partial upload',
      );
    });
  }
}
