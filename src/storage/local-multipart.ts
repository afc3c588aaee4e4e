/**
 * A local-store multipart upload: parts are written in place into one temp file (part n at the sum of the
 * sizes before it), so completing is an fsync and a rename, never a copy. Parts must arrive in order; the
 * last one may be sent again (a retry), with any size.
 */
import { rm, type FileHandle } from 'node:fs/promises';
import type { MultipartUpload, OpOptions } from './object-store.ts';
import { StorageError, throwIfAborted } from './object-store.ts';
import { localError, publish, writeFully } from './local-fs.ts';

export class LocalMultipart implements MultipartUpload {
  readonly key: string;
  readonly #rootReal: string;
  readonly #tmpPath: string;
  readonly #fh: FileHandle;
  /** Sizes of parts 1..n. */
  readonly #sizes: number[] = [];
  #state: 'open' | 'completed' | 'aborted' = 'open';

  constructor(rootReal: string, key: string, tmpPath: string, fh: FileHandle) {
    this.#rootReal = rootReal;
    this.key = key;
    this.#tmpPath = tmpPath;
    this.#fh = fh;
  }

  async uploadPart(partNumber: number, bytes: Uint8Array, options?: OpOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#assertOpen();
    const count = this.#sizes.length;
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > count + 1) {
      throw new StorageError('rejected', `local upload of ${this.key}: part ${partNumber} out of order (have ${count})`);
    }
    if (partNumber < count && this.#sizes[partNumber - 1] !== bytes.length) {
      throw new StorageError('rejected', `local upload of ${this.key}: part ${partNumber} may not change size`);
    }
    let offset = 0;
    for (let i = 0; i < partNumber - 1; i += 1) offset += this.#sizes[i] ?? 0;
    try {
      await writeFully(this.#fh, bytes, offset);
    } catch (err) {
      throw localError(err, `writing part ${partNumber} of ${this.key}`);
    }
    this.#sizes[partNumber - 1] = bytes.length;
  }

  async complete(options?: OpOptions): Promise<void> {
    throwIfAborted(options?.signal);
    this.#assertOpen();
    const total = this.#sizes.reduce((a, b) => a + b, 0);
    try {
      await this.#fh.truncate(total); // a shorter resent last part leaves stale bytes behind otherwise
      await this.#fh.sync();
      await this.#fh.close();
      this.#state = 'completed';
      await publish(this.#rootReal, this.#tmpPath, this.key);
    } catch (err) {
      await this.abort();
      throw localError(err, `completing ${this.key}`);
    }
  }

  async abort(): Promise<void> {
    if (this.#state === 'aborted') return;
    if (this.#state === 'open') await this.#fh.close().catch(() => undefined);
    this.#state = 'aborted';
    await rm(this.#tmpPath, { force: true });
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new StorageError('upload_lost', `local upload of ${this.key} is ${this.#state}`);
  }
}
