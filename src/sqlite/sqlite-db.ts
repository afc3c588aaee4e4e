/**
 * What the embedded queue and the webhook outbox share about node:sqlite: opening a file that several
 * processes may use (WAL, busy_timeout, synchronous FULL, a versioned schema), typed row reads, and
 * recognising SQLITE_BUSY.
 */
import { chmodSync } from 'node:fs';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import { ScribaError } from '../domain/errors.ts';

export type Row = Record<string, SQLOutputValue>;

/** Reads columns of one kind of row; `what` names it in errors (e.g. "queue row"). */
export function rowReader(what: string) {
  const text = (row: Row, col: string): string => {
    const v = row[col];
    if (typeof v !== 'string') throw new ScribaError('internal', `${what}: ${col} is not text`, { scope: 'system' });
    return v;
  };
  const number = (row: Row, col: string): number => {
    const v = row[col];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new ScribaError('internal', `${what}: ${col} is not a number`, { scope: 'system' });
  };
  const numberOrNull = (row: Row, col: string): number | null => (row[col] === null || row[col] === undefined ? null : number(row, col));
  return { text, number, numberOrNull };
}

/** SQLITE_BUSY and its extended codes: another process held the write lock longer than busy_timeout. */
export function isSqliteBusy(err: unknown): boolean {
  const errcode = (err as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === 'number' && (errcode & 0xff) === 5;
}

/**
 * Runs `fn` again while SQLite answers "database is locked", for up to `timeoutMs`. SQLite skips the busy
 * handler where waiting could deadlock: processes opening a new file at the same moment, each switching it to
 * WAL, can get SQLITE_BUSY at once (measured: 2 of 30 rounds of four simultaneous openers). Synchronous, like
 * DatabaseSync itself; only opening a file takes this path.
 */
export function retryWhileBusy<T>(fn: () => T, timeoutMs: number, now: () => number = Date.now): T {
  const deadline = now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waitMs = 5; ; waitMs = Math.min(waitMs * 2, 100)) {
    try {
      return fn();
    } catch (err) {
      if (!isSqliteBusy(err) || now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, waitMs);
    }
  }
}

export interface OpenOptions {
  readonly schema: string;
  readonly schemaVersion: number;
  readonly busyTimeoutMs: number;
  /** Names the file in errors, e.g. "queue file". */
  readonly what: string;
  /** Runs right after the file is opened, before anything else (e.g. tightening its permissions). */
  readonly afterOpen?: (db: DatabaseSync) => void;
  /**
   * Owner-only file modes (0600) for the file and its -wal/-shm companions, also when they already exist with
   * wider ones: the queue holds stream keys, room passwords and meeting JWTs.
   */
  readonly ownerOnly?: boolean;
}

function restrictToOwner(path: string): void {
  if (path === ':memory:' || path === '') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Opens (creating or upgrading the schema in one write transaction) a database several processes may share. */
export function openSharedDatabase(path: string, opts: OpenOptions): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    if (opts.ownerOnly) restrictToOwner(path);
    opts.afterOpen?.(db);
    // busy_timeout first, so the journal-mode switch and schema creation wait for other openers.
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
    retryWhileBusy(() => db.exec('PRAGMA journal_mode = WAL'), opts.busyTimeoutMs);
    // FULL: a committed write survives power loss, not only a process crash.
    db.exec('PRAGMA synchronous = FULL');
    db.exec('BEGIN IMMEDIATE');
    try {
      const version = rowReader('sqlite').number(db.prepare('PRAGMA user_version').get() ?? {}, 'user_version');
      if (version > opts.schemaVersion) {
        throw new ScribaError('internal', `${opts.what} ${path} has schema ${version}, newer than ${opts.schemaVersion}`, {
          scope: 'system',
        });
      }
      db.exec(opts.schema);
      db.exec(`PRAGMA user_version = ${opts.schemaVersion}`);
      db.exec('COMMIT');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
