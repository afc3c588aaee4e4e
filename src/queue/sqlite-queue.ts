/**
 * The embedded durable job queue: one sqlite file (node:sqlite), the default when there is no Redis.
 *
 * - Several processes on one host may open the same file: WAL journal, busy_timeout, and every
 *   read-modify-write runs in a short `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so two
 *   claimers serialize and can never be handed the same job).
 * - FIFO by enqueue order (the row's `seq`); a recovered job keeps its place at the front.
 * - Pick-up without a polling delay: an enqueue wakes waiting claimers in this process directly and those of
 *   other processes through `<file>-wake` (file-wake.ts); the poll (pollMs) remains the fallback, and the only
 *   way an expired lease is noticed.
 * - Leases and failure decisions follow `lease.ts` (pure, tested on their own). In short: the token decides
 *   ownership; an expired lease is taken over by the next claim (attempt + 1), or failed with
 *   "worker lost the job N times" once attempts reach maxAttempts.
 * - Job data and results are stored as JSON, so they must be JSON-serializable.
 * - node:sqlite is synchronous: each call blocks the event loop for one small transaction (and, under
 *   contention from another process, for up to busy_timeout).
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { ScribaError } from '../domain/errors.ts';
import { isSqliteBusy, openSharedDatabase, rowReader, type Row } from '../sqlite/sqlite-db.ts';
import { openFileWake, type FileWake } from './file-wake.ts';
import { Sleepers } from '../lib/sleepers.ts';
import {
  DEFAULT_QUEUE_TIMING,
  type ClaimOptions,
  type ClaimedJob,
  ExclusiveKeyConflict,
  type EnqueueClaimedOptions,
  type EnqueueOptions,
  JobIdTaken,
  type JobQueue,
  type ListOptions,
  type JobRecord,
  type JobStatus,
  type QueueCounts,
  type QueueTiming,
} from './job-queue.ts';
import {
  STOPPED_BEFORE_START_ERROR,
  decideClaim,
  decideStop,
  leaseUntil,
  statusAfterFail,
  type JobError,
  type LeaseState,
} from './lease.ts';

export interface SqliteQueueOptions {
  /** The sqlite file; created (with its directory's permissions) when missing. ':memory:' works for one process. */
  readonly path: string;
  readonly timing?: Partial<QueueTiming>;
  /** Clock for leases and enqueue times (ms). */
  readonly now?: () => number;
  /** How long one call waits for another process's write lock before failing (ms). */
  readonly busyTimeoutMs?: number;
  /**
   * Wake claimers in other processes sharing the file when a job is enqueued (a `<path>-wake` notify file);
   * default true. false: they find it at their next poll (pollMs).
   */
  readonly wakeOnEnqueue?: boolean;
}

const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  data            TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('queued', 'active', 'completed', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  enqueued_at_ms  INTEGER NOT NULL,
  updated_at_ms   INTEGER NOT NULL,
  lease_until_ms  INTEGER,
  token           TEXT,
  worker_id       TEXT,
  stop_requested  INTEGER NOT NULL DEFAULT 0,
  result          TEXT,
  error_message   TEXT,
  error_retryable INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_lease ON jobs (status, lease_until_ms);
-- v2: tags (list by room) and exclusive keys (one session per room and mode); rows are never updated.
CREATE TABLE IF NOT EXISTS job_keys (
  key     TEXT    NOT NULL,
  kind    TEXT    NOT NULL CHECK (kind IN ('tag', 'exclusive')),
  job_seq INTEGER NOT NULL REFERENCES jobs (seq),
  PRIMARY KEY (kind, key, job_seq)
);
-- v3: what a successor needs to continue a job (an upload in progress), written by the lease holder only.
CREATE TABLE IF NOT EXISTS job_checkpoints (
  job_id        TEXT    PRIMARY KEY,
  data          TEXT    NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
`;

const { text: str, number: num, numberOrNull: numOrNull } = rowReader('queue row');

function leaseState(row: Row): LeaseState {
  return {
    status: str(row, 'status') as JobStatus,
    attempts: num(row, 'attempts'),
    leaseUntilMs: numOrNull(row, 'lease_until_ms'),
    stopRequested: num(row, 'stop_requested') !== 0,
  };
}

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new ScribaError('invalid_request', `${what} is not JSON-serializable`);
  return json;
}

function toRecord<T>(row: Row): JobRecord<T> {
  const result = row['result'];
  const message = row['error_message'];
  return {
    id: str(row, 'id'),
    data: JSON.parse(str(row, 'data')) as T,
    status: str(row, 'status') as JobStatus,
    attempts: num(row, 'attempts'),
    enqueuedAtMs: num(row, 'enqueued_at_ms'),
    stopRequested: num(row, 'stop_requested') !== 0,
    result: typeof result === 'string' ? (JSON.parse(result) as unknown) : null,
    error: typeof message === 'string' ? { message, retryable: num(row, 'error_retryable') !== 0 } : null,
  };
}

export function createSqliteQueue<T>(opts: SqliteQueueOptions): JobQueue<T> {
  return new SqliteQueue<T>(opts);
}

class SqliteQueue<T> implements JobQueue<T> {
  readonly #db: DatabaseSync;
  readonly #timing: QueueTiming;
  readonly #now: () => number;
  /** Wakes sleeping claimers (on enqueue/requeue here or, through the notify file, in another process; on close). */
  readonly #sleepers = new Sleepers();
  readonly #stopPollers = new Set<() => void>();
  readonly #fileWake: FileWake | null;
  #closing: Promise<void> | null = null;

  constructor(opts: SqliteQueueOptions) {
    this.#timing = { ...DEFAULT_QUEUE_TIMING, ...opts.timing };
    this.#now = opts.now ?? Date.now;
    const db = openSharedDatabase(opts.path, {
      schema: SCHEMA,
      schemaVersion: SCHEMA_VERSION,
      busyTimeoutMs: opts.busyTimeoutMs ?? 5_000,
      what: 'queue file',
      ownerOnly: true,
    });
    this.#db = db;
    this.#fileWake =
      opts.path === ':memory:' || opts.wakeOnEnqueue === false ? null : openFileWake(`${opts.path}-wake`, () => this.#wakeLocal());
  }

  async enqueue(data: T, options?: EnqueueOptions): Promise<string> {
    this.#assertOpen();
    const id = options?.jobId ?? randomUUID();
    const json = toJson(data, 'job data');
    const inserted = this.#transaction(() => {
      if (this.#db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(id) !== undefined) return false; // idempotent
      this.#insert(id, json, options ?? {}, null);
      return true;
    });
    if (inserted) this.#wake();
    return id;
  }

  async enqueueClaimed(data: T, options: EnqueueClaimedOptions): Promise<ClaimedJob<T>> {
    this.#assertOpen();
    const id = options.jobId ?? randomUUID();
    const json = toJson(data, 'job data');
    const token = randomUUID();
    const enqueuedAtMs = this.#transaction(() => {
      if (this.#db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(id) !== undefined) throw new JobIdTaken(id);
      // Inserted already claimed (attempt 1, leased to this worker): no claimer ever sees it queued.
      return this.#insert(id, json, options, { token, workerId: options.workerId });
    });
    return { id, data: JSON.parse(json) as T, attempts: 1, enqueuedAtMs, token, checkpoint: null };
  }

  /** Inserts a job (queued, or active for `claim`) with its tags and exclusive keys; inside a transaction. */
  #insert(id: string, json: string, options: EnqueueOptions, claim: { token: string; workerId: string } | null): number {
    const now = this.#now();
    this.#sweepLost(now); // a lost job that may not run again frees its keys first
    for (const key of options.exclusiveKeys ?? []) {
      const holder = this.#db
        .prepare(`SELECT j.id FROM job_keys k JOIN jobs j ON j.seq = k.job_seq
                  WHERE k.kind = 'exclusive' AND k.key = ? AND j.status IN ('queued', 'active') LIMIT 1`)
        .get(key);
      if (holder !== undefined) throw new ExclusiveKeyConflict(key, str(holder, 'id'));
    }
    const row =
      claim === null
        ? this.#db
            .prepare(`INSERT INTO jobs (id, data, status, attempts, enqueued_at_ms, updated_at_ms)
                      VALUES (?, ?, 'queued', 0, ?, ?) RETURNING seq`)
            .get(id, json, now, now)
        : this.#db
            .prepare(`INSERT INTO jobs (id, data, status, attempts, enqueued_at_ms, updated_at_ms, lease_until_ms, token, worker_id)
                      VALUES (?, ?, 'active', 1, ?, ?, ?, ?, ?) RETURNING seq`)
            .get(id, json, now, now, leaseUntil(now, this.#timing.leaseMs), claim.token, claim.workerId);
    const seq = num(row ?? {}, 'seq');
    const insertKey = this.#db.prepare('INSERT OR IGNORE INTO job_keys (key, kind, job_seq) VALUES (?, ?, ?)');
    for (const tag of options.tags ?? []) insertKey.run(tag, 'tag', seq);
    for (const key of options.exclusiveKeys ?? []) insertKey.run(key, 'exclusive', seq);
    return now;
  }

  async claim(options: ClaimOptions<T>): Promise<ClaimedJob<T> | null> {
    for (;;) {
      if (this.#closing !== null || options.signal.aborted) return null;
      try {
        const job = this.#tryClaim(options.workerId, options.admit);
        if (job !== null) return job;
      } catch (err) {
        // Another process held the write lock for longer than busy_timeout: look again at the next poll.
        if (!isSqliteBusy(err)) throw err;
      }
      await this.#sleep(this.#timing.pollMs, options.signal);
    }
  }

  async renew(jobId: string, token: string): Promise<boolean> {
    this.#assertOpen();
    const now = this.#now();
    // Valid while the token is current, even a little late: only a new claim (new token) takes the job away.
    const res = this.#db
      .prepare(`UPDATE jobs SET lease_until_ms = ?, updated_at_ms = ? WHERE id = ? AND token = ? AND status = 'active'`)
      .run(leaseUntil(now, this.#timing.leaseMs), now, jobId, token);
    return Number(res.changes) === 1;
  }

  async saveCheckpoint(jobId: string, token: string, checkpoint: unknown): Promise<boolean> {
    this.#assertOpen();
    const json = toJson(checkpoint, 'checkpoint');
    return this.#transaction(() => {
      // Only the current lease holder: a worker that lost the job must not overwrite its successor's state.
      if (this.#db.prepare(`SELECT 1 FROM jobs WHERE id = ? AND token = ? AND status = 'active'`).get(jobId, token) === undefined)
        return false;
      this.#db
        .prepare(`INSERT INTO job_checkpoints (job_id, data, updated_at_ms) VALUES (?, ?, ?)
                  ON CONFLICT (job_id) DO UPDATE SET data = excluded.data, updated_at_ms = excluded.updated_at_ms`)
        .run(jobId, json, this.#now());
      return true;
    });
  }

  async complete(jobId: string, token: string, result: unknown): Promise<boolean> {
    this.#assertOpen();
    const json = result === undefined ? null : toJson(result, 'job result');
    const res = this.#db
      .prepare(
        `UPDATE jobs SET status = 'completed', result = ?, token = NULL, lease_until_ms = NULL, updated_at_ms = ?
         WHERE id = ? AND token = ? AND status = 'active'`,
      )
      .run(json, this.#now(), jobId, token);
    return Number(res.changes) === 1;
  }

  async fail(jobId: string, token: string, error: { message: string; retryable: boolean }): Promise<boolean> {
    this.#assertOpen();
    const next = this.#transaction(() => {
      const row = this.#db
        .prepare(`SELECT attempts, stop_requested FROM jobs WHERE id = ? AND token = ? AND status = 'active'`)
        .get(jobId, token);
      if (row === undefined) return null;
      const status = statusAfterFail(
        { attempts: num(row, 'attempts'), stopRequested: num(row, 'stop_requested') !== 0, retryable: error.retryable },
        this.#timing.maxAttempts,
      );
      this.#db
        .prepare(
          `UPDATE jobs SET status = ?, token = NULL, lease_until_ms = NULL, worker_id = NULL,
             error_message = ?, error_retryable = ?, updated_at_ms = ? WHERE id = ?`,
        )
        .run(status, error.message, error.retryable ? 1 : 0, this.#now(), jobId);
      return status;
    });
    if (next === 'queued') this.#wake();
    return next !== null;
  }

  async requestStop(jobId: string): Promise<boolean> {
    this.#assertOpen();
    return this.#transaction(() => {
      this.#sweepLost(this.#now());
      const row = this.#db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId);
      const decision = decideStop(row === undefined ? null : (str(row, 'status') as JobStatus));
      if (decision === 'flag') {
        this.#db.prepare('UPDATE jobs SET stop_requested = 1, updated_at_ms = ? WHERE id = ?').run(this.#now(), jobId);
      } else if (decision === 'fail') {
        this.#setFailed(jobId, STOPPED_BEFORE_START_ERROR, { stopRequested: true });
      }
      return decision !== 'none';
    });
  }

  onStopRequested(jobId: string, listener: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let subscribed = true;
    const unsubscribe = (): void => {
      subscribed = false;
      clearTimeout(timer);
      this.#stopPollers.delete(unsubscribe);
    };
    const check = (): void => {
      if (!subscribed || this.#closing !== null) return;
      let row: Row | undefined;
      try {
        row = this.#db.prepare('SELECT status, stop_requested FROM jobs WHERE id = ?').get(jobId);
      } catch {
        // Busy for longer than busy_timeout: look again at the next poll.
        timer = setTimeout(check, this.#timing.pollMs);
        return;
      }
      if (row !== undefined && num(row, 'stop_requested') !== 0) {
        unsubscribe();
        listener();
        return;
      }
      const status = row === undefined ? null : str(row, 'status');
      if (status === null || status === 'completed' || status === 'failed') {
        unsubscribe(); // finished without a stop request: nothing will ever come
        return;
      }
      timer = setTimeout(check, this.#timing.pollMs);
    };
    this.#stopPollers.add(unsubscribe);
    timer = setTimeout(check, 0);
    return unsubscribe;
  }

  async get(jobId: string): Promise<JobRecord<T> | null> {
    this.#assertOpen();
    this.#transaction(() => this.#sweepLost(this.#now()));
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(jobId);
    return row === undefined ? null : toRecord<T>(row);
  }

  async list(options: ListOptions): Promise<JobRecord<T>[]> {
    this.#assertOpen();
    this.#transaction(() => this.#sweepLost(this.#now()));
    const rows = this.#db
      .prepare(`SELECT j.* FROM job_keys k JOIN jobs j ON j.seq = k.job_seq
                WHERE k.kind = 'tag' AND k.key = ? ORDER BY j.seq DESC LIMIT ?`)
      .all(options.tag, Math.max(1, Math.min(options.limit ?? 50, 1000)));
    return rows.map((row) => toRecord<T>(row));
  }

  async countOpen(tag: string): Promise<number> {
    this.#assertOpen();
    this.#transaction(() => this.#sweepLost(this.#now()));
    const row = this.#db
      .prepare(`SELECT COUNT(*) AS n FROM job_keys k JOIN jobs j ON j.seq = k.job_seq
                WHERE k.kind = 'tag' AND k.key = ? AND j.status IN ('queued', 'active')`)
      .get(tag);
    return row === undefined ? 0 : num(row, 'n');
  }

  async counts(): Promise<QueueCounts> {
    this.#assertOpen();
    this.#transaction(() => this.#sweepLost(this.#now()));
    const counts = { queued: 0, active: 0, completed: 0, failed: 0 };
    for (const row of this.#db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all()) {
      counts[str(row, 'status') as JobStatus] = num(row, 'n');
    }
    return counts;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const unsubscribe of [...this.#stopPollers]) unsubscribe();
      this.#fileWake?.close();
      this.#wakeLocal();
      this.#db.close();
    })();
    return this.#closing;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────────────────

  #assertOpen(): void {
    if (this.#closing !== null) throw new ScribaError('internal', 'the job queue is closed', { scope: 'system' });
  }

  #transaction<R>(fn: () => R): R {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Fails expired jobs that must not run again (last attempt used, or stop requested). Inside a transaction. */
  #sweepLost(now: number): void {
    const expired = this.#db
      .prepare(`SELECT id, status, attempts, lease_until_ms, stop_requested FROM jobs
                WHERE status = 'active' AND (lease_until_ms IS NULL OR lease_until_ms <= ?)`)
      .all(now);
    for (const row of expired) {
      const decision = decideClaim(leaseState(row), now, this.#timing.maxAttempts);
      if (decision.kind === 'fail') this.#setFailed(str(row, 'id'), decision.error, {});
    }
  }

  #setFailed(jobId: string, error: JobError, opts: { readonly stopRequested?: boolean }): void {
    this.#db
      .prepare(
        `UPDATE jobs SET status = 'failed', token = NULL, lease_until_ms = NULL, worker_id = NULL,
           error_message = ?, error_retryable = ?, stop_requested = MAX(stop_requested, ?), updated_at_ms = ?
         WHERE id = ?`,
      )
      .run(error.message, error.retryable ? 1 : 0, opts.stopRequested === true ? 1 : 0, this.#now(), jobId);
  }

  #tryClaim(workerId: string, admit: ((data: T) => boolean) | undefined): ClaimedJob<T> | null {
    const now = this.#now();
    return this.#transaction(() => {
      this.#sweepLost(now);
      // After the sweep every expired active job left is claimable; take the oldest of those and the queued.
      const row = this.#db
        .prepare(`SELECT seq, id, status, attempts, lease_until_ms, stop_requested, data, enqueued_at_ms FROM jobs
                  WHERE status = 'queued' OR (status = 'active' AND (lease_until_ms IS NULL OR lease_until_ms <= ?))
                  ORDER BY seq LIMIT 1`)
        .get(now);
      if (row === undefined || decideClaim(leaseState(row), now, this.#timing.maxAttempts).kind !== 'claim') return null;
      // Read and parsed once: priced by `admit`, then handed out as claimed.
      const data = JSON.parse(str(row, 'data')) as T;
      if (admit !== undefined && !admit(data)) return null; // stays first in line
      const token = randomUUID();
      const claimed = this.#db
        .prepare(
          `UPDATE jobs SET status = 'active', attempts = attempts + 1, token = ?, lease_until_ms = ?, worker_id = ?,
             updated_at_ms = ? WHERE seq = ? RETURNING attempts`,
        )
        .get(token, leaseUntil(now, this.#timing.leaseMs), workerId, now, num(row, 'seq'));
      if (claimed === undefined) return null;
      const id = str(row, 'id');
      const saved = this.#db.prepare('SELECT data FROM job_checkpoints WHERE job_id = ?').get(id);
      return {
        id,
        data,
        attempts: num(claimed, 'attempts'),
        enqueuedAtMs: num(row, 'enqueued_at_ms'),
        token,
        checkpoint: saved === undefined ? null : (JSON.parse(str(saved, 'data')) as unknown),
      };
    });
  }

  /** Sleeps ms, or less when the signal aborts or a job becomes claimable (#wake). */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    const slept = this.#sleepers.sleep(ms, signal);
    this.#fileWake?.arm();
    return slept;
  }

  /** A job became claimable: wake claimers here at once, and those of other processes through the notify file. */
  #wake(): void {
    this.#wakeLocal();
    this.#fileWake?.notify();
  }

  #wakeLocal(): void {
    this.#sleepers.wakeAll();
  }
}
