import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import { createSqliteQueue } from '../../../src/queue/sqlite-queue.ts';
import { describeJobQueueConformance, type TestJob } from '../../conformance/job-queue.suite.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'scriba-queue-'));
}

describeJobQueueConformance('sqlite (file-backed)', async (timing) => {
  const dir = tempDir();
  const path = join(dir, 'queue.sqlite');
  return {
    queue: createSqliteQueue<TestJob>({ path, timing }),
    reopen: async () => createSqliteQueue<TestJob>({ path, timing }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('sqlite queue specifics', () => {
  const dirs: string[] = [];
  const queues: JobQueue<TestJob>[] = [];
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps the queue file and its WAL owner-only (0600), also a file that existed with wider modes', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir, 'queue.sqlite');
    const q = createSqliteQueue<TestJob>({ path });
    queues.push(q);
    await q.enqueue({ n: 1 });
    for (const f of [path, `${path}-wal`]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const old = join(dir, 'old.sqlite');
    writeFileSync(old, '');
    chmodSync(old, 0o644);
    queues.push(createSqliteQueue<TestJob>({ path: old }));
    expect(statSync(old).mode & 0o777).toBe(0o600);
  });

  function file(): string {
    const dir = tempDir();
    dirs.push(dir);
    return join(dir, 'queue.sqlite');
  }

  function open(path: string, opts: { now?: () => number; leaseMs?: number; maxAttempts?: number } = {}): JobQueue<TestJob> {
    const q = createSqliteQueue<TestJob>({
      path,
      timing: { pollMs: 20, leaseMs: opts.leaseMs ?? 1_000, maxAttempts: opts.maxAttempts ?? 3 },
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
    queues.push(q);
    return q;
  }

  const claimNow = (q: JobQueue<TestJob>, workerId = 'w') => q.claim({ workerId, signal: AbortSignal.timeout(100) });

  it('uses WAL and stores data as JSON', async () => {
    const path = file();
    const q = open(path);
    await q.enqueue({ n: 42 }, { jobId: 'j1' });
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare("SELECT data, status FROM jobs WHERE id = 'j1'").get()).toEqual({ data: '{"n":42}', status: 'queued' });
    } finally {
      db.close();
    }
  });

  it('follows the injected clock for leases', async () => {
    let now = 1_000_000;
    const q = open(file(), { now: () => now, leaseMs: 10_000, maxAttempts: 2 });
    const id = await q.enqueue({ n: 1 });
    expect((await q.get(id))?.enqueuedAtMs).toBe(1_000_000);
    const first = await claimNow(q, 'a');
    expect(first?.attempts).toBe(1);
    now += 9_999;
    expect(await claimNow(q, 'b')).toBeNull();
    now += 1;
    const second = await claimNow(q, 'b');
    expect(second).toMatchObject({ id, attempts: 2 });
    // Renewed late but before anyone else claimed: still the holder.
    now += 15_000;
    expect(await q.renew(id, second!.token)).toBe(true);
    expect((await q.get(id))?.status).toBe('active');
    now += 10_000;
    const rec = await q.get(id);
    expect(rec).toMatchObject({ status: 'failed', attempts: 2, error: { message: expect.stringMatching(/lost the job 2 times/) } });
    expect(await q.renew(id, second!.token)).toBe(false);
  });

  it('fails a stop-requested job whose holder was lost instead of running it again', async () => {
    let now = 0;
    const q = open(file(), { now: () => now, leaseMs: 1_000 });
    const id = await q.enqueue({ n: 1 });
    await claimNow(q);
    expect(await q.requestStop(id)).toBe(true);
    now += 1_000;
    expect(await claimNow(q)).toBeNull();
    expect(await q.get(id)).toMatchObject({ status: 'failed', stopRequested: true, error: { retryable: false } });
  });

  it('shares one file between two queue instances without double claims', async () => {
    const path = file();
    const a = open(path);
    const b = open(path);
    const total = 100;
    for (let n = 0; n < total; n++) await (n % 2 === 0 ? a : b).enqueue({ n });
    const stop = new AbortController();
    const seen: string[] = [];
    const loop = async (q: JobQueue<TestJob>, workerId: string) => {
      for (;;) {
        const job = await q.claim({ workerId, signal: stop.signal });
        if (job === null) return;
        seen.push(job.id);
        expect(await q.complete(job.id, job.token, null)).toBe(true);
        if (seen.length === total) stop.abort();
      }
    };
    await Promise.all([loop(a, 'a1'), loop(b, 'b1'), loop(a, 'a2'), loop(b, 'b2')]);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
    expect(await b.counts()).toEqual({ queued: 0, active: 0, completed: total, failed: 0 });
  });

  it('refuses calls after close, and refuses a file with a newer schema', async () => {
    const path = file();
    const q = open(path);
    await q.close();
    await expect(q.enqueue({ n: 1 })).rejects.toThrow(/closed/);
    expect(await claimNow(q)).toBeNull();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => createSqliteQueue<TestJob>({ path })).toThrow(/newer/);
  });

  it('leaves no timers behind after close', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const q = createSqliteQueue<TestJob>({ path: file(), timing: { pollMs: 20, leaseMs: 5_000, maxAttempts: 3 } });
    const id = await q.enqueue({ n: 1 });
    await claimNow(q);
    q.onStopRequested(id, () => {});
    const waiting = q.claim({ workerId: 'w2', signal: new AbortController().signal });
    await new Promise((r) => setTimeout(r, 60));
    expect(timers()).toBeGreaterThan(before);
    await q.close();
    expect(await waiting).toBeNull();
    // At most as many as before: an earlier test's timer may have fired meanwhile, none of ours is left.
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('rejects data that is not JSON', async () => {
    const q = createSqliteQueue<unknown>({ path: file() });
    try {
      await expect(q.enqueue(undefined)).rejects.toThrow(/JSON/);
    } finally {
      await q.close();
    }
  });
});
