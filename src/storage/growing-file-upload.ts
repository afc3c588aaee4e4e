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
 * - Always call finish() or abort(); a failure or abort discards the partial upload on the store.
 */
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../log/logger.ts';
import {
  StorageError,
  abortedError,
  type MultipartUpload,
  type ObjectStore,
  type OpOptions,
  type StoredObject,
} from './object-store.ts';
import { assertKey } from './object-key.ts';
import { contentTypeFor } from './content-type.ts';
import { errnoOf, hashRange, localError, readExactly } from './local-fs.ts';
import { DEFAULT_PART_SIZE, effectivePartSize, planParts, type PlannedPart } from './part-plan.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, realSleep, retrying, type RetryPolicy, type Sleep } from './retry.ts';

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
}

export function startGrowingFileUpload(options: GrowingFileUploadOptions): GrowingFileUpload {
  return new Uploader(options);
}

interface SentPart extends PlannedPart {
  readonly sha256: string;
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
    this.#stop.abort(abortedError());
    await this.finish().catch(() => undefined);
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
    });
  }

  /** While recording: sends every whole part the file has, then waits for more. */
  async #grow(): Promise<void> {
    while (!this.#finishing) {
      if (this.#signal.aborted) throw abortedError(this.#signal.reason);
      const plan = this.#plan(await this.#currentSize(), false);
      if (plan.length === 0) {
        await this.#sleep(this.#o.pollMs ?? 1_000, AbortSignal.any([this.#signal, this.#wake.signal]));
        continue;
      }
      for (const part of plan) await this.#sendPart(part);
    }
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
    const onAbort = (): void => this.#stop.abort(abortedError(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.#finishing = true;
    this.#wake.abort();
    try {
      await this.#loop;
      return await this.#finalize();
    } catch (err) {
      await this.#discard();
      throw this.#signal.aborted && !(err instanceof StorageError && err.reason === 'aborted') ? abortedError(err) : err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
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
      throw new StorageError('local_changed', `${this.#o.path} is gone: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
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
    this.#fh ??= await open(this.#o.path, 'r').catch((err: unknown) => {
      throw localError(err, `opening ${this.#o.path}`);
    });
    const bytes = await readExactly(this.#fh, part.start, part.end - part.start);
    this.#streamHash.update(bytes);
    await this.#put(part.partNumber, bytes);
    this.#parts.push({ ...part, sha256: sha256(bytes) });
  }

  async #put(partNumber: number, bytes: Uint8Array): Promise<void> {
    if (this.#upload === null) {
      const { value } = await this.#retry('starting', () =>
        this.#o.store.createMultipart(this.key, { contentType: this.#contentType(), signal: this.#signal }),
      );
      this.#upload = value;
    }
    const upload = this.#upload;
    await this.#retry(`part ${partNumber}`, () => upload.uploadPart(partNumber, bytes, { signal: this.#signal }));
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
    const upload = this.#upload;
    this.#upload = null;
    if (upload === null) return;
    // Our own signal may be the reason we are here: give the abort its own short deadline.
    await upload.abort({ signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
      this.#o.logger?.warn({ key: this.key, err: err instanceof Error ? err.message : String(err) }, 'could not discard the partial upload');
    });
  }
}
