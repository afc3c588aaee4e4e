/** The embedded queue picks up without its poll delay (in-process and across instances) and honours `admit`. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import { createSqliteQueue, type SqliteQueueOptions } from '../../../src/queue/sqlite-queue.ts';

type Job = { n: number; kind: 'cheap' | 'dear' };

describe('sqlite queue: wake on enqueue', () => {
  const dirs: string[] = [];
  const queues: JobQueue<Job>[] = [];
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const open = (options: Partial<SqliteQueueOptions> = {}): { path: string; make: () => JobQueue<Job> } => {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-queue-wake-'));
    dirs.push(dir);
    const path = join(dir, 'queue.sqlite');
    // A poll far longer than the test's limits: only the wake can explain a fast pick-up.
    const make = (): JobQueue<Job> => {
      const q = createSqliteQueue<Job>({ path, timing: { pollMs: 60_000 }, ...options });
      queues.push(q);
      return q;
    };
    return { path, make };
  };

  it('wakes a claimer of another instance on the same file (the notify file), owner-only', async () => {
    const { path, make } = open();
    const api = make();
    const worker = make();
    const claiming = worker.claim({ workerId: 'w', signal: AbortSignal.timeout(30_000) });
    await new Promise((r) => setTimeout(r, 50)); // the claimer is asleep
    const started = Date.now();
    await api.enqueue({ n: 1, kind: 'cheap' });
    const job = await claiming;
    expect(job?.data.n).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(statSync(`${path}-wake`).mode & 0o777).toBe(0o600);
  });

  it('without wakeOnEnqueue another instance waits for its poll', async () => {
    const { make } = open({ wakeOnEnqueue: false });
    const api = make();
    const worker = make();
    const claiming = worker.claim({ workerId: 'w', signal: AbortSignal.timeout(500) });
    await new Promise((r) => setTimeout(r, 50));
    await api.enqueue({ n: 1, kind: 'cheap' });
    expect(await claiming).toBeNull();
  });

  it('admit: a refused head stays queued and first in line; nothing behind it overtakes', async () => {
    const { make } = open();
    const q = make();
    await q.enqueue({ n: 1, kind: 'dear' }, { jobId: 'dear' });
    await q.enqueue({ n: 2, kind: 'cheap' }, { jobId: 'cheap' });
    const seen: number[] = [];
    const admitCheap = (data: Job): boolean => {
      seen.push(data.n);
      return data.kind === 'cheap';
    };
    expect(await q.claim({ workerId: 'w', signal: AbortSignal.timeout(300), admit: admitCheap })).toBeNull();
    expect(seen.every((n) => n === 1)).toBe(true);
    expect((await q.get('dear'))?.status).toBe('queued');
    // Once it fits, the head is claimed as a first attempt.
    const job = await q.claim({ workerId: 'w', signal: AbortSignal.timeout(1000), admit: () => true });
    expect(job).toMatchObject({ id: 'dear', attempts: 1 });
  });
});
