/**
 * The durable webhook outbox: one SQLite row per (event, subscriber URL), kept until delivered or abandoned.
 *
 * - Several processes may share one file (WAL, busy_timeout, and every read-modify-write in a short
 *   `BEGIN IMMEDIATE` transaction, as in src/queue/sqlite-queue.ts). A claim sets a short lease and a token;
 *   only the token's holder can settle the row, and another process can take the row only once the lease
 *   has expired (its holder died), so two processes never send the same row at the same time.
 * - The body is stored once, as the exact JSON that is signed and sent on every attempt.
 * - (idempotency key, URL) is unique: adding the same event twice stores it once.
 * - node:sqlite is synchronous: each call blocks the event loop for one small transaction.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ScribaError } from '../domain/errors.ts';
import { isSqliteBusy, openSharedDatabase, rowReader, type Row } from '../sqlite/sqlite-db.ts';

export type OutboxStatus = 'pending' | 'delivered' | 'abandoned';

export interface NewOutboxRow {
  readonly idempotencyKey: string;
  readonly url: string;
  readonly eventType: string;
  readonly body: string;
}

export interface OutboxRow extends NewOutboxRow {
  readonly id: number;
  readonly status: OutboxStatus;
  /** Attempts started, including one in progress. */
  readonly attempts: number;
  readonly firstQueuedMs: number;
  readonly nextAttemptMs: number;
  readonly lastError: string | null;
}

/** A row this handle may send now; settle it with its token. */
export interface ClaimedOutboxRow extends OutboxRow {
  readonly token: string;
}

export type OutboxCounts = Readonly<Record<OutboxStatus, number>>;

export interface WebhookOutboxOptions {
  /** The SQLite file; its directory is created when missing. */
  readonly path: string;
  /** How long a claim keeps other handles off a row; must outlast one attempt (its timeout). */
  readonly claimLeaseMs: number;
  readonly now?: () => number;
  /** How long one call waits for another process's write lock (ms). */
  readonly busyTimeoutMs?: number;
}

export interface WebhookOutbox {
  /** Stores new rows, due at once; returns how many were new. */
  add(rows: readonly NewOutboxRow[]): number;
  /** Claims up to `limit` due rows (oldest due first) and counts an attempt on each. */
  claimDue(limit: number): ClaimedOutboxRow[];
  markDelivered(id: number, token: string): boolean;
  markRetry(id: number, token: string, nextAttemptMs: number, error: string): boolean;
  markAbandoned(id: number, token: string, error: string): boolean;
  /** Hands back a claim whose attempt was cut short by a stop: due again at once. */
  release(id: number, token: string): boolean;
  /** When the next pending row becomes claimable (ms), or null when nothing is pending. */
  nextDueMs(): number | null;
  counts(): OutboxCounts;
  /** Every row, oldest first (inspection and tests). */
  list(): OutboxRow[];
  /** Deletes delivered and abandoned rows settled before `beforeMs`; returns how many. */
  purgeSettled(beforeMs: number): number;
  close(): void;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key  TEXT    NOT NULL,
  url              TEXT    NOT NULL,
  event_type       TEXT    NOT NULL,
  body             TEXT    NOT NULL,
  status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'abandoned')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  first_queued_ms  INTEGER NOT NULL,
  next_attempt_ms  INTEGER NOT NULL,
  claim_token      TEXT,
  claim_until_ms   INTEGER,
  last_error       TEXT,
  updated_at_ms    INTEGER NOT NULL,
  UNIQUE (idempotency_key, url)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS deliveries_settled ON deliveries (status, updated_at_ms);
`;

const { text: str, number: num } = rowReader('outbox row');

function toRow(row: Row): OutboxRow {
  const lastError = row['last_error'];
  return {
    id: num(row, 'id'),
    idempotencyKey: str(row, 'idempotency_key'),
    url: str(row, 'url'),
    eventType: str(row, 'event_type'),
    body: str(row, 'body'),
    status: str(row, 'status') as OutboxStatus,
    attempts: num(row, 'attempts'),
    firstQueuedMs: num(row, 'first_queued_ms'),
    nextAttemptMs: num(row, 'next_attempt_ms'),
    lastError: typeof lastError === 'string' ? lastError : null,
  };
}

/** True for SQLITE_BUSY (another process held the write lock longer than busy_timeout). */
export const isBusyError = isSqliteBusy;

function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  const inMemory = path === ':memory:';
  const created = !inMemory && !existsSync(path);
  if (created) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return openSharedDatabase(path, {
    schema: SCHEMA,
    schemaVersion: SCHEMA_VERSION,
    busyTimeoutMs,
    what: 'webhook outbox',
    // Bodies hold 24 h download links: owner-only (SQLite gives the -wal and -shm files the same mode).
    afterOpen: () => {
      if (created) chmodSync(path, 0o600);
    },
  });
}

export function openWebhookOutbox(options: WebhookOutboxOptions): WebhookOutbox {
  const db = openDatabase(options.path, options.busyTimeoutMs ?? 5_000);
  const now = options.now ?? Date.now;
  let closed = false;

  const transaction = <R>(fn: () => R): R => {
    if (closed) throw new ScribaError('internal', 'the webhook outbox is closed', { scope: 'system' });
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };

  /** Settles a claimed row; refused when the token is no longer current (the lease was taken over). */
  const settle = (id: number, token: string, set: string, params: readonly (string | number | null)[]): boolean =>
    transaction(() => {
      const res = db
        .prepare(
          `UPDATE deliveries SET ${set}, claim_token = NULL, claim_until_ms = NULL, updated_at_ms = ?
           WHERE id = ? AND claim_token = ? AND status = 'pending'`,
        )
        .run(...params, now(), id, token);
      return Number(res.changes) === 1;
    });

  return {
    add(rows) {
      if (rows.length === 0) return 0;
      const t = now();
      return transaction(() => {
        const insert = db.prepare(
          `INSERT INTO deliveries (idempotency_key, url, event_type, body, status, attempts, first_queued_ms,
             next_attempt_ms, updated_at_ms)
           VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (idempotency_key, url) DO NOTHING`,
        );
        let added = 0;
        for (const r of rows) added += Number(insert.run(r.idempotencyKey, r.url, r.eventType, r.body, t, t, t).changes);
        return added;
      });
    },

    claimDue(limit) {
      if (limit <= 0) return [];
      const t = now();
      return transaction(() => {
        const due = db
          .prepare(
            `SELECT id FROM deliveries
             WHERE status = 'pending' AND next_attempt_ms <= ? AND (claim_until_ms IS NULL OR claim_until_ms <= ?)
             ORDER BY next_attempt_ms, id LIMIT ?`,
          )
          .all(t, t, Math.floor(limit));
        const claim = db.prepare(
          `UPDATE deliveries SET claim_token = ?, claim_until_ms = ?, attempts = attempts + 1, updated_at_ms = ?
           WHERE id = ? RETURNING *`,
        );
        const out: ClaimedOutboxRow[] = [];
        for (const d of due) {
          const token = randomUUID();
          const row = claim.get(token, t + options.claimLeaseMs, t, num(d, 'id'));
          if (row !== undefined) out.push({ ...toRow(row), token });
        }
        return out;
      });
    },

    markDelivered(id, token) {
      return settle(id, token, `status = 'delivered', last_error = NULL`, []);
    },

    markRetry(id, token, nextAttemptMs, error) {
      return settle(id, token, 'next_attempt_ms = ?, last_error = ?', [Math.floor(nextAttemptMs), error]);
    },

    markAbandoned(id, token, error) {
      return settle(id, token, `status = 'abandoned', last_error = ?`, [error]);
    },

    release(id, token) {
      return settle(id, token, 'next_attempt_ms = MIN(next_attempt_ms, ?)', [now()]);
    },

    nextDueMs() {
      if (closed) return null;
      // A row claimed elsewhere becomes claimable when its lease ends, not before.
      const row = db
        .prepare(`SELECT MIN(MAX(next_attempt_ms, COALESCE(claim_until_ms, 0))) AS due FROM deliveries WHERE status = 'pending'`)
        .get();
      return row === undefined || row['due'] === null ? null : num(row, 'due');
    },

    counts() {
      const counts = { pending: 0, delivered: 0, abandoned: 0 };
      if (closed) return counts;
      for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status').all()) {
        counts[str(row, 'status') as OutboxStatus] = num(row, 'n');
      }
      return counts;
    },

    list() {
      if (closed) return [];
      return db.prepare('SELECT * FROM deliveries ORDER BY id').all().map(toRow);
    },

    purgeSettled(beforeMs) {
      return transaction(() =>
        Number(db.prepare(`DELETE FROM deliveries WHERE status IN ('delivered', 'abandoned') AND updated_at_ms < ?`).run(beforeMs).changes),
      );
    },

    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
