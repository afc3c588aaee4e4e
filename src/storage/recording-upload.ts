/**
 * A session's artifacts into the object store: the recording uploads while it is written (parts of the
 * growing crash-safe MP4), so after stop only the tail is left; then metadata.json; then a link. The local
 * copy is removed by the caller only after this resolved (size and SHA-256 verified).
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { startGrowingFileUpload, type GrowingFileUpload } from './growing-file-upload.ts';
import { mp4FragmentBoundary } from './content-boundary.ts';
import type { UploadCheckpoint } from './upload-checkpoint.ts';
import { StorageError, type ObjectStore } from './object-store.ts';
import { realSleep, retrying, type RetryPolicy } from './retry.ts';

export interface RecordingUploadOptions {
  readonly store: ObjectStore;
  readonly sessionId: string;
  readonly partSizeBytes: number;
  readonly retry: RetryPolicy;
  readonly linkTtlSec: number;
  readonly logger: Logger;
  /**
   * Checkpoint the recording's upload (parts, and every `tailIntervalMs` the tail cut after a whole MP4
   * fragment) so that another worker can salvage it with salvageUpload() if this one dies.
   */
  readonly checkpoint?: {
    readonly onCheckpoint: (checkpoint: UploadCheckpoint) => void | Promise<void>;
    readonly tailIntervalMs?: number;
  };
}

export interface UploadedRecording {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly metadataKey: string | null;
  /** Pre-authenticated, valid linkTtlSec; null when the store cannot make links (local store without a public URL). */
  readonly link: string | null;
}

/** Where a session's files go in the store: `<sessionId>/<file name>`. Pure. */
export function artifactKey(sessionId: string, path: string): string {
  return `${sessionId}/${basename(path)}`;
}

export class RecordingUpload {
  readonly #o: RecordingUploadOptions;
  readonly #abort = new AbortController();
  #growing: GrowingFileUpload | null = null;

  constructor(options: RecordingUploadOptions) {
    this.#o = options;
  }

  /** The recording started growing at `path`: upload it part by part from now on. */
  begin(path: string): void {
    if (this.#growing !== null) return;
    const o = this.#o;
    this.#growing = startGrowingFileUpload({
      store: o.store,
      key: artifactKey(o.sessionId, path),
      path,
      contentType: 'video/mp4',
      partSize: o.partSizeBytes,
      // Re-reading only the first part at the end keeps stop → uploaded flat in the length: ffmpeg only
      // appends, except for the header it may rewrite at the start.
      recheck: 'first-part',
      retry: o.retry,
      logger: o.logger,
      signal: this.#abort.signal,
      ...(o.checkpoint === undefined ? {} : { checkpoint: { ...o.checkpoint, boundary: mp4FragmentBoundary() } }),
    });
  }

  /** The worker is going away mid-recording: stop, and leave the upload as checkpointed for salvage. */
  async detach(): Promise<UploadCheckpoint | null> {
    return (await this.#growing?.detach()) ?? null;
  }

  /**
   * The recording is complete at `recording` (the same path begin() saw, or a file never begun, e.g. after a
   * crash): finish its upload, verify it, store metadata.json, make the link. Retries while the store is down,
   * up to the retry policy's horizon, then throws StorageError.
   */
  async complete(files: { readonly recording: string; readonly metadata: string | null }, signal: AbortSignal): Promise<UploadedRecording> {
    const o = this.#o;
    const onAbort = (): void => this.#abort.abort(signal.reason);
    // Raw listener, not lib/abort's onAbort (which fires at once when already aborted): only an abort during complete() cuts it short.
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const key = artifactKey(o.sessionId, files.recording);
      let stored: { size: number; sha256: string };
      if (this.#growing !== null && this.#growing.key === key) {
        stored = await this.#growing.finish({ signal: this.#abort.signal });
      } else {
        await this.#growing?.abort();
        const { value: put } = await retrying(
          () => o.store.put(key, { path: files.recording }, { contentType: 'video/mp4', signal: this.#abort.signal }),
          this.#retryContext('upload the recording'),
        );
        // put() hashed the bytes it read and sent (each request carries a checksum the store checks); what is
        // left to verify is that the store holds all of them and the file did not change meanwhile.
        const [local, head] = await Promise.all([stat(files.recording), o.store.head(key, { signal: this.#abort.signal })]);
        if (head?.size !== put.size || local.size !== put.size) {
          throw new StorageError('verify_failed', 'the stored recording does not match the local file');
        }
        stored = put;
      }
      let metadataKey: string | null = null;
      if (files.metadata !== null) {
        metadataKey = artifactKey(o.sessionId, files.metadata);
        const path = files.metadata;
        const mk = metadataKey;
        await retrying(
          () => o.store.put(mk, { path }, { contentType: 'application/json', signal: this.#abort.signal }),
          this.#retryContext('upload metadata.json'),
        );
      }
      let link: string | null = null;
      try {
        link = await o.store.link(key, o.linkTtlSec);
      } catch (err) {
        o.logger.warn({ err }, 'the store cannot make a link for the recording');
      }
      return { key, size: stored.size, sha256: stored.sha256, metadataKey, link };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #retryContext(what: string) {
    return {
      policy: this.#o.retry,
      signal: this.#abort.signal,
      sleep: realSleep,
      now: Date.now,
      onRetry: (err: StorageError, failures: number, delayMs: number) =>
        this.#o.logger.warn({ err: err.message, failures, delayMs }, `could not ${what}; retrying`),
    };
  }

  /** Stops any upload in progress (the session failed without a file, or the worker is going away). */
  async abort(): Promise<void> {
    this.#abort.abort();
    await this.#growing?.abort();
  }
}
