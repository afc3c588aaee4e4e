/**
 * A local-store multipart upload: parts are written in place into one temp file under
 * `<root>/.scriba-tmp/<uploadId>.upload` (part n at the sum of the sizes before it), so completing is an
 * fsync and a rename, never a copy. Parts must arrive in order; the last one may be sent again (a retry),
 * with any size. The file is the upload's whole state: another process (another worker sharing the store
 * root) resumes it from the parts the first one recorded, each checked against its SHA-256.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MultipartUpload, OpOptions, RecordedPart, SentPart } from './object-store.ts';
import { StorageError, assertRecordedParts, throwIfAborted } from './object-store.ts';
import { errnoOf, hashRange, localError, publish, writeFully } from './local-fs.ts';

const UPLOAD_SUFFIX = '.upload';
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[0-9a-f]{16}$/;

/** The upload id names the key it was made for (a hash of it), so it cannot complete into another key. */
export function newLocalUploadId(key: string): string {
  return `${randomUUID()}.${keyTag(key)}`;
}

function keyTag(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function localUploadPath(tmpDir: string, uploadId: string): string {
  return join(tmpDir, `${uploadId}${UPLOAD_SUFFIX}`);
}

function gone(key: string, uploadId: string, why: string): StorageError {
  return new StorageError('upload_lost', `the local store has no upload ${uploadId} of ${key}: ${why}`);
}

/** Opens an upload another process started and checks the recorded parts against its file. */
export async function resumeLocalMultipart(
  rootReal: string,
  tmpDir: string,
  key: string,
  uploadId: string,
  parts: readonly RecordedPart[],
  signal?: AbortSignal,
): Promise<LocalMultipart> {
  assertRecordedParts(key, parts);
  if (!UPLOAD_ID.test(uploadId)) throw gone(key, uploadId, 'not an upload id of this store');
  if (uploadId.slice(-16) !== keyTag(key)) throw gone(key, uploadId, 'it was made for another key');
  const path = localUploadPath(tmpDir, uploadId);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw gone(key, uploadId, 'aborted, completed or discarded');
    throw localError(err, `resuming the upload of ${key}`);
  }
  try {
    const size = (await fh.stat()).size;
    let offset = 0;
    for (const part of parts) {
      if (offset + part.size > size)
        throw new StorageError('verify_failed', `resuming ${key}: part ${part.partNumber} was never fully written`);
      const hash = createHash('sha256');
      await hashRange(fh, offset, offset + part.size, [hash], signal);
      const digest = hash.digest('hex');
      if (digest !== part.sha256 || digest !== part.etag) {
        throw new StorageError('verify_failed', `resuming ${key}: part ${part.partNumber} differs from what was recorded`);
      }
      offset += part.size;
    }
    // Bytes of a part that was being written when the other process died are cut at complete().
    return new LocalMultipart(
      rootReal,
      key,
      uploadId,
      path,
      fh,
      parts.map((p) => p.size),
    );
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw localError(err, `resuming the upload of ${key}`);
  }
}

export class LocalMultipart implements MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly #rootReal: string;
  readonly #tmpPath: string;
  readonly #fh: FileHandle;
  /** Sizes of parts 1..n. */
  readonly #sizes: number[];
  #state: 'open' | 'completed' | 'aborted' = 'open';

  constructor(rootReal: string, key: string, uploadId: string, tmpPath: string, fh: FileHandle, sizes: readonly number[] = []) {
    this.#rootReal = rootReal;
    this.key = key;
    this.uploadId = uploadId;
    this.#sizes = [...sizes];
    this.#tmpPath = tmpPath;
    this.#fh = fh;
  }

  async uploadPart(partNumber: number, bytes: Uint8Array, options?: OpOptions): Promise<SentPart> {
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
    return { partNumber, size: bytes.length, etag: createHash('sha256').update(bytes).digest('hex') };
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
