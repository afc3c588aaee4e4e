/**
 * The retention sweep: deletes every stored object, abandoned multipart upload and local artifact (each
 * entry of a recordings directory: a session directory or a file) older than the retention horizon
 * (retention-policy.ts decides). Safe to run from many workers at once: deleting what another sweeper just
 * deleted is success, so two sweeps may both count one deletion. One failure is logged and counted, and the
 * sweep goes on with the rest. Every deletion is logged and reported through `onDeleted` (for metrics).
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, parse, resolve } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { StorageError, abortedError, type ObjectInfo, type ObjectStore } from './object-store.ts';
import { errnoOf } from './local-fs.ts';
import { DEFAULT_RETENTION_SEC, ageSec, assertRetentionSec, isExpired, newestMtimeMs, retentionHorizonMs } from './retention-policy.ts';

export type DeletedArtifact =
  | { readonly kind: 'object'; readonly store: string; readonly key: string; readonly ageSec: number }
  | { readonly kind: 'incomplete_uploads'; readonly store: string; readonly count: number }
  | { readonly kind: 'local'; readonly path: string; readonly ageSec: number };

export interface SweepOptions {
  readonly stores: readonly ObjectStore[];
  /** Recordings directories: each entry (session directory or file) is one artifact. */
  readonly localDirs: readonly string[];
  readonly retentionSec?: number;
  readonly now?: () => number;
  readonly logger: Logger;
  readonly onDeleted?: (artifact: DeletedArtifact) => void;
  readonly signal?: AbortSignal;
}

export interface SweepReport {
  readonly deletedObjects: number;
  readonly abortedUploads: number;
  readonly deletedLocal: number;
  readonly kept: number;
  readonly errors: number;
}

interface Tally {
  deletedObjects: number;
  abortedUploads: number;
  deletedLocal: number;
  kept: number;
  errors: number;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function sweepExpired(options: SweepOptions): Promise<SweepReport> {
  const retentionSec = options.retentionSec ?? DEFAULT_RETENTION_SEC;
  assertRetentionSec(retentionSec);
  const nowMs = (options.now ?? Date.now)(); // one instant for the whole sweep
  const tally: Tally = { deletedObjects: 0, abortedUploads: 0, deletedLocal: 0, kept: 0, errors: 0 };
  const ctx = { ...options, retentionSec, nowMs, tally };
  for (const store of options.stores) await sweepStore(store, ctx);
  for (const dir of options.localDirs) await sweepDir(dir, ctx);
  options.logger.info({ ...tally, retentionSec }, 'retention sweep done');
  return { ...tally };
}

interface SweepContext extends SweepOptions {
  readonly retentionSec: number;
  readonly nowMs: number;
  readonly tally: Tally;
}

function checkAbort(ctx: SweepContext): void {
  if (ctx.signal?.aborted) throw abortedError(ctx.signal.reason);
}

function failed(ctx: SweepContext, err: unknown, fields: Record<string, unknown>, msg: string): void {
  if (err instanceof StorageError && err.reason === 'aborted') throw err;
  ctx.tally.errors += 1;
  ctx.logger.error({ ...fields, err: message(err) }, msg);
}

const signalOpt = (ctx: SweepContext) => (ctx.signal === undefined ? {} : { signal: ctx.signal });

async function sweepStore(store: ObjectStore, ctx: SweepContext): Promise<void> {
  let objects: ObjectInfo[];
  try {
    objects = await store.list('', signalOpt(ctx));
  } catch (err) {
    failed(ctx, err, { store: store.description }, 'retention: cannot list the store');
    objects = [];
  }
  for (const obj of objects) {
    checkAbort(ctx);
    if (!isExpired(obj.lastModifiedMs, ctx.nowMs, ctx.retentionSec)) {
      ctx.tally.kept += 1;
      continue;
    }
    try {
      await deleteObject(store, obj.key, ctx);
    } catch (err) {
      failed(ctx, err, { store: store.description, key: obj.key }, 'retention: cannot delete an object');
      continue;
    }
    const age = ageSec(obj.lastModifiedMs, ctx.nowMs);
    ctx.tally.deletedObjects += 1;
    ctx.logger.info({ store: store.description, key: obj.key, ageSec: age }, 'retention: deleted object');
    ctx.onDeleted?.({ kind: 'object', store: store.description, key: obj.key, ageSec: age });
  }
  try {
    const count = await store.abortIncompleteUploads(retentionHorizonMs(ctx.nowMs, ctx.retentionSec), signalOpt(ctx));
    if (count > 0) {
      ctx.tally.abortedUploads += count;
      ctx.logger.info({ store: store.description, count }, 'retention: discarded incomplete uploads');
      ctx.onDeleted?.({ kind: 'incomplete_uploads', store: store.description, count });
    }
  } catch (err) {
    if (err instanceof StorageError && err.reason === 'unsupported') {
      // Some S3-compatible servers cannot list uploads: the bucket's lifecycle rule has to do it.
      ctx.logger.warn({ store: store.description, err: message(err) }, 'retention: the store cannot list incomplete uploads');
      return;
    }
    failed(ctx, err, { store: store.description }, 'retention: cannot discard incomplete uploads');
  }
}

/**
 * Deletes one object. A failed delete whose object is gone anyway counts as done: with several sweepers,
 * some S3-compatible servers answer the loser of a race on the same key with a 500.
 */
async function deleteObject(store: ObjectStore, key: string, ctx: SweepContext): Promise<void> {
  try {
    await store.delete(key, signalOpt(ctx));
  } catch (err) {
    const stillThere = await store.head(key, signalOpt(ctx)).then(
      (info) => info !== null,
      () => true,
    );
    if (stillThere) throw err;
  }
}

/** The newest mtime in a tree (lstat: symlinks are not followed); entries vanishing meanwhile are skipped. */
async function newestIn(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return -Infinity;
  if (!st.isDirectory()) return st.mtimeMs;
  const names = await readdir(path).catch(() => [] as string[]);
  const mtimes = [st.mtimeMs];
  for (const name of names) mtimes.push(await newestIn(join(path, name)));
  return newestMtimeMs(mtimes);
}

async function sweepDir(dir: string, ctx: SweepContext): Promise<void> {
  const root = resolve(dir);
  if (parse(root).root === root) {
    failed(ctx, new Error('refusing to sweep a filesystem root'), { dir }, 'retention: bad recordings directory');
    return;
  }
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    failed(ctx, err, { dir }, 'retention: cannot read the recordings directory');
    return;
  }
  for (const name of names) {
    checkAbort(ctx);
    const path = join(root, name);
    const newest = await newestIn(path);
    if (newest === -Infinity) continue; // another sweeper got there first
    if (!isExpired(newest, ctx.nowMs, ctx.retentionSec)) {
      ctx.tally.kept += 1;
      continue;
    }
    try {
      // force: a concurrent sweeper deleting the same tree is not an error.
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      failed(ctx, err, { path }, 'retention: cannot delete a local artifact');
      continue;
    }
    const age = ageSec(newest, ctx.nowMs);
    ctx.tally.deletedLocal += 1;
    ctx.logger.info({ path, ageSec: age }, 'retention: deleted local artifact');
    ctx.onDeleted?.({ kind: 'local', path, ageSec: age });
  }
}
