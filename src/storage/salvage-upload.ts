/**
 * Finishing an upload whose process died, from its last checkpoint (upload-checkpoint.ts) alone: no local
 * file, no ListParts. The recorded parts are completed as they are, the tail objects that continue them
 * (checked against their SHA-256, in order, up to the first that is missing or differs) are appended as a
 * last, shorter part (or, before any part went up, stored as the whole object), the stored size is
 * checked, and the tail objects are deleted. Every store call is retried while the store is down.
 *
 * Outcomes: 'salvaged'; 'already-complete' (the upload was completed before the checkpoint was cleared);
 * 'nothing' (the process died before anything went up); 'lost' (the store no longer knows the upload, e.g.
 * discarded by a lifecycle rule: the reason says so). Errors retrying cannot fix otherwise throw.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import { StorageError, type ObjectStore } from './object-store.ts';
import { DEFAULT_RETRY_POLICY, realSleep, retrying, type RetryPolicy, type Sleep } from './retry.ts';
import { tailChunkPrefix, type TailChunk, type UploadCheckpoint } from './upload-checkpoint.ts';

export interface SalvageOptions {
  readonly store: ObjectStore;
  /** Checked with parseUploadCheckpoint when it came from outside this process. */
  readonly checkpoint: UploadCheckpoint;
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

export type SalvageResult =
  | {
      readonly status: 'salvaged';
      readonly key: string;
      readonly size: number;
      /** Parts completed (0: stored with one put from the tail). */
      readonly parts: number;
      /** Bytes that came from tail objects. */
      readonly tailBytes: number;
      /** The object ends where the content is whole (a whole MP4 fragment); false: it ends inside one. */
      readonly endsWhole: boolean;
      /** Why (some of) the tail could not be used, or null. */
      readonly tailProblem: string | null;
      /** Store calls that failed and were retried. */
      readonly failures: number;
    }
  | { readonly status: 'already-complete'; readonly key: string; readonly size: number }
  | { readonly status: 'nothing'; readonly key: string }
  | { readonly status: 'lost'; readonly key: string; readonly reason: string };

/** Completing may have worked before (its answer, or the checkpoint's clearing, lost): a clock-skew margin. */
const COMPLETE_CLOCK_SKEW_MS = 60_000;
/** No tail is near this: refuse to read something larger into memory. */
const MAX_TAIL_CHUNK_BYTES = 256 * 1024 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const isLost = (err: unknown): err is StorageError =>
  err instanceof StorageError && (err.reason === 'upload_lost' || err.reason === 'verify_failed');

export async function salvageUpload(o: SalvageOptions): Promise<SalvageResult> {
  const cp = o.checkpoint;
  const key = cp.key;
  let failures = 0;
  const signal = o.signal ?? new AbortController().signal;
  const retry = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    const r = await retrying(op, {
      policy: { ...DEFAULT_RETRY_POLICY, ...o.retry },
      signal,
      sleep: o.sleep ?? realSleep,
      now: o.now ?? Date.now,
      ...(o.random === undefined ? {} : { random: o.random }),
      onRetry: (err, n, delayMs) => {
        failures += 1;
        if (n === 1 || n % 10 === 0)
          o.logger?.warn({ key, what, failures: n, delayMs, err: err.message }, 'salvage: store unavailable, retrying');
      },
    });
    return r.value;
  };

  if (cp.parts.length === 0 && cp.tail.length === 0) {
    await deleteTail(o, cp);
    return { status: 'nothing', key };
  }

  const tail = await readTail(o, cp, retry);
  const expected = cp.partBytes + tail.bytes.length;
  const endsWhole = tail.bytes.length > 0 || expected === cp.wholeBytes;

  if (cp.uploadId === null) {
    if (tail.bytes.length === 0) {
      await deleteTail(o, cp);
      return { status: 'lost', key, reason: `nothing was uploaded but the tail, and ${tail.problem ?? 'it is empty'}` };
    }
    await retry('storing the tail', () => o.store.put(key, { bytes: tail.bytes }, { contentType: cp.contentType, signal }));
  } else {
    const uploadId = cp.uploadId;
    const alreadyComplete = async (): Promise<number | null> => {
      const info = await retry('checking', () => o.store.head(key, { signal }));
      const fresh = info !== null && info.lastModifiedMs >= cp.startedAtMs - COMPLETE_CLOCK_SKEW_MS;
      return fresh && info.size >= cp.partBytes ? info.size : null;
    };
    let upload;
    try {
      upload = await retry('resuming', () => o.store.resumeMultipart(key, uploadId, cp.parts, { signal }));
      if (tail.bytes.length > 0) {
        const u = upload;
        await retry('sending the tail', () => u.uploadPart(cp.parts.length + 1, tail.bytes, { signal }));
      }
      const u = upload;
      let attempts = 0;
      await retry('completing', async () => {
        attempts += 1;
        try {
          await u.complete({ signal });
        } catch (err) {
          // A retried complete that finds the upload gone may have worked the first time.
          if (attempts > 1 && err instanceof StorageError && err.reason === 'upload_lost') {
            const info = await o.store.head(key, { signal }).catch(() => null);
            if (info !== null && info.size === expected && info.lastModifiedMs >= cp.startedAtMs - COMPLETE_CLOCK_SKEW_MS) return;
          }
          throw err;
        }
      });
    } catch (err) {
      if (!isLost(err)) throw err;
      const size = await alreadyComplete();
      await deleteTail(o, cp);
      if (size !== null) return { status: 'already-complete', key, size };
      o.logger?.warn({ key, err: err.message }, 'salvage: the upload is gone');
      return { status: 'lost', key, reason: `the store no longer has upload ${uploadId} (${err.reason}): ${err.message}` };
    }
  }

  const info = await retry('checking', () => o.store.head(key, { signal }));
  if (info === null || info.size !== expected) {
    throw new StorageError(
      'verify_failed',
      `salvage of ${key}: stored ${info === null ? 'nothing' : `${info.size} bytes`}, expected ${expected}`,
    );
  }
  await deleteTail(o, cp);
  o.logger?.info(
    { key, size: expected, parts: cp.parts.length, tailBytes: tail.bytes.length, tailProblem: tail.problem },
    'salvage: upload completed from its checkpoint',
  );
  return {
    status: 'salvaged',
    key,
    size: expected,
    parts: cp.uploadId === null ? 0 : cp.parts.length + (tail.bytes.length > 0 ? 1 : 0),
    tailBytes: tail.bytes.length,
    endsWhole,
    tailProblem: tail.problem,
    failures,
  };
}

type Retry = <T>(what: string, op: () => Promise<T>) => Promise<T>;

/** The tail's bytes after the parts: chunks in order up to the first that is missing or differs. */
async function readTail(o: SalvageOptions, cp: UploadCheckpoint, retry: Retry): Promise<{ bytes: Buffer; problem: string | null }> {
  const pieces: Buffer[] = [];
  let problem: string | null = null;
  for (const chunk of cp.tail) {
    const bytes = await retry('reading the tail', () =>
      o.store.read(chunk.key, { maxBytes: MAX_TAIL_CHUNK_BYTES, ...(o.signal === undefined ? {} : { signal: o.signal }) }),
    );
    problem = chunkProblem(chunk, bytes);
    if (problem !== null || bytes === null) break;
    pieces.push(Buffer.from(bytes).subarray(Math.max(0, cp.partBytes - chunk.start)));
  }
  if (problem !== null) o.logger?.warn({ key: cp.key, problem }, 'salvage: using the tail only up to a bad chunk');
  return { bytes: Buffer.concat(pieces), problem };
}

function chunkProblem(chunk: TailChunk, bytes: Uint8Array | null): string | null {
  if (bytes === null) return `tail object ${chunk.key} is missing`;
  if (bytes.length !== chunk.size || sha256(bytes) !== chunk.sha256) return `tail object ${chunk.key} differs from its checkpoint`;
  return null;
}

/** Best effort: the checkpoint's tail objects and any later one it never named. Retention gets the rest. */
async function deleteTail(o: SalvageOptions, cp: UploadCheckpoint): Promise<void> {
  const signal = AbortSignal.timeout(30_000);
  const keys = new Set(cp.tail.map((c) => c.key));
  try {
    for (const info of await o.store.list(tailChunkPrefix(cp.key), { signal })) keys.add(info.key);
  } catch (err) {
    o.logger?.warn({ key: cp.key, err: err instanceof Error ? err.message : String(err) }, 'salvage: could not list tail objects');
  }
  for (const k of keys) {
    await o.store.delete(k, { signal }).catch((err: unknown) => {
      o.logger?.warn({ key: k, err: err instanceof Error ? err.message : String(err) }, 'salvage: could not delete a tail object');
    });
  }
}
