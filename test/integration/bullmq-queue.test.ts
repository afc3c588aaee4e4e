/** The BullMQ queue against a real redis-server started by this file on a free loopback port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBullmqQueue } from '../../src/queue/bullmq-queue.ts';
import type { JobQueue, QueueTiming } from '../../src/queue/job-queue.ts';
import { describeJobQueueConformance, type TestJob } from '../conformance/job-queue.suite.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function open<T>(queueName: string, timing: Partial<QueueTiming>, url = redis.url): JobQueue<T> {
  return createBullmqQueue<T>({ connection: { url }, queueName, timing });
}

describeJobQueueConformance('bullmq', async (timing) => {
  const queueName = `conf-${randomUUID()}`;
  return {
    queue: open<TestJob>(queueName, timing),
    reopen: async () => open<TestJob>(queueName, timing),
    cleanup: async () => {},
  };
});

describe('bullmq queue: job ids', () => {
  it('accepts ids BullMQ itself refuses (all digits) and gives ids to jobs enqueued without one', async () => {
    const q = open<{ n: number }>(`ids-${Date.now()}`, { pollMs: 20 });
    try {
      expect(await q.enqueue({ n: 1 }, { jobId: '42' })).toBe('42');
      const generated = await q.enqueue({ n: 2 });
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      expect((await q.get('42'))?.id).toBe('42');
      const signal = AbortSignal.timeout(5000);
      const first = await q.claim({ workerId: 'w', signal });
      expect(first?.id).toBe('42');
      expect(await q.complete('42', first!.token, { ok: true })).toBe(true);
      expect((await q.claim({ workerId: 'w', signal }))?.id).toBe(generated);
      expect((await q.get('42'))?.status).toBe('completed');
    } finally {
      await q.close();
    }
  });
});

describe('bullmq queue: several processes on one Redis', () => {
  it('two queue instances racing over 100 jobs claim each exactly once', async () => {
    const name = `race-${randomUUID()}`;
    const timing = { leaseMs: 10_000, pollMs: 20, maxAttempts: 3 };
    const a = open<TestJob>(name, timing);
    const b = open<TestJob>(name, timing);
    try {
      const ids = new Set<string>();
      for (let n = 0; n < 100; n++) ids.add(await a.enqueue({ n }));
      const seen: string[] = [];
      const stop = new AbortController();
      const loop = async (q: JobQueue<TestJob>, workerId: string): Promise<void> => {
        for (;;) {
          const job = await q.claim({ workerId, signal: stop.signal });
          if (job === null) return;
          seen.push(job.id);
          expect(job.attempts).toBe(1);
          expect(await q.complete(job.id, job.token, { by: workerId })).toBe(true);
          if (seen.length === ids.size) stop.abort();
        }
      };
      const guard = setTimeout(() => stop.abort(), 30_000);
      await Promise.all([loop(a, 'a1'), loop(a, 'a2'), loop(b, 'b1'), loop(b, 'b2')]);
      clearTimeout(guard);
      expect(seen).toHaveLength(100);
      expect(new Set(seen)).toEqual(ids);
      expect(await b.counts()).toEqual({ queued: 0, active: 0, completed: 100, failed: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("recovers a job from a worker that stopped renewing; that worker's complete is refused", async () => {
    const name = `lost-${randomUUID()}`;
    const timing = { leaseMs: 500, pollMs: 50, maxAttempts: 3 };
    const dead = open<TestJob>(name, timing);
    const rescuer = open<TestJob>(name, timing);
    try {
      const id = await dead.enqueue({ n: 1 });
      const lost = await dead.claim({ workerId: 'dead', signal: AbortSignal.timeout(5_000) });
      expect(lost?.id).toBe(id);
      expect(await dead.renew(id, lost!.token)).toBe(true);
      const startedAt = Date.now();
      const recovered = await rescuer.claim({ workerId: 'rescuer', signal: AbortSignal.timeout(10_000) });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
      expect(recovered).toMatchObject({ id, attempts: 2 });
      expect(await dead.renew(id, lost!.token)).toBe(false);
      expect(await dead.complete(id, lost!.token, { by: 'dead' })).toBe(false);
      expect(await rescuer.complete(id, recovered!.token, { by: 'rescuer' })).toBe(true);
      expect(await dead.get(id)).toMatchObject({ status: 'completed', attempts: 2, result: { by: 'rescuer' } });
    } finally {
      await Promise.all([dead.close(), rescuer.close()]);
    }
  });

  it('a stop request reaches the holder in another process', async () => {
    const name = `stop-${randomUUID()}`;
    const timing = { leaseMs: 5_000, pollMs: 50, maxAttempts: 3 };
    const holder = open<TestJob>(name, timing);
    const api = open<TestJob>(name, timing);
    try {
      const id = await api.enqueue({ n: 1 });
      const job = await holder.claim({ workerId: 'w', signal: AbortSignal.timeout(5_000) });
      const heard = new Promise<void>((resolve) => holder.onStopRequested(id, resolve));
      expect(await api.requestStop(id)).toBe(true);
      await heard;
      expect(await holder.fail(id, job!.token, { message: 'stopped', retryable: true })).toBe(true);
      expect(await api.get(id)).toMatchObject({ status: 'failed', stopRequested: true });
    } finally {
      await Promise.all([holder.close(), api.close()]);
    }
  });
});

describe('bullmq queue: Redis restart with persistence', () => {
  it('keeps queued jobs across a redis-server restart (AOF)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-redis-'));
    let server = await startRedis({ dir });
    const name = `aof-${randomUUID()}`;
    const timing = { leaseMs: 2_000, pollMs: 50, maxAttempts: 3 };
    const q = open<TestJob>(name, timing, server.url);
    try {
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) ids.push(await q.enqueue({ n }));
      await server.stop();
      server = await startRedis({ dir, port: server.port });
      // The same queue instance reconnects by itself.
      const claimed: string[] = [];
      for (let i = 0; i < 3; i++) {
        const job = await q.claim({ workerId: 'w', signal: AbortSignal.timeout(10_000) });
        expect(job).not.toBeNull();
        claimed.push(job!.id);
        expect(await q.complete(job!.id, job!.token, null)).toBe(true);
      }
      expect(claimed).toEqual(ids);
    } finally {
      await q.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bullmq queue: pick-up and admission', () => {
  // A poll far longer than the limits below: only the marker wake explains a fast pick-up.
  const slowPoll = { pollMs: 60_000 };

  it("wakes another instance's waiting claimer on enqueue (BullMQ's marker), and without the wake it waits", async () => {
    const name = `wake-${randomUUID()}`;
    const api = open<TestJob>(name, slowPoll);
    const worker = open<TestJob>(name, slowPoll);
    const polling = createBullmqQueue<TestJob>({
      connection: { url: redis.url },
      queueName: `${name}-poll`,
      timing: slowPoll,
      wakeOnEnqueue: false,
    });
    const pollingApi = open<TestJob>(`${name}-poll`, slowPoll);
    try {
      for (let n = 0; n < 3; n++) {
        const claiming = worker.claim({ workerId: 'w', signal: AbortSignal.timeout(10_000) });
        await new Promise((r) => setTimeout(r, 100)); // asleep
        const started = Date.now();
        await api.enqueue({ n });
        const job = await claiming;
        expect(job?.data.n).toBe(n);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(await worker.complete(job!.id, job!.token, null)).toBe(true);
      }
      const claiming = polling.claim({ workerId: 'p', signal: AbortSignal.timeout(600) });
      await new Promise((r) => setTimeout(r, 100));
      await pollingApi.enqueue({ n: 9 });
      expect(await claiming).toBeNull();
    } finally {
      await Promise.all([api.close(), worker.close(), polling.close(), pollingApi.close()]);
    }
  });

  it('admit: a refused head stays queued, first in line, and its attempt is not counted', async () => {
    const q = open<TestJob>(`admit-${randomUUID()}`, { pollMs: 50 });
    try {
      await q.enqueue({ n: 1 }, { jobId: 'head' });
      await q.enqueue({ n: 2 }, { jobId: 'next' });
      expect(await q.claim({ workerId: 'w', signal: AbortSignal.timeout(300), admit: (d) => d.n === 2 })).toBeNull();
      expect((await q.get('head'))?.status).toBe('queued');
      // Priced as fitting, then taken in a "race" as not fitting: handed back untouched.
      let asked = 0;
      const flip = (): boolean => ++asked === 1;
      expect(await q.claim({ workerId: 'w', signal: AbortSignal.timeout(300), admit: flip })).toBeNull();
      expect(asked).toBeGreaterThanOrEqual(2);
      expect(await q.get('head')).toMatchObject({ status: 'queued', attempts: 0 });
      const job = await q.claim({ workerId: 'w', signal: AbortSignal.timeout(2_000), admit: () => true });
      expect(job).toMatchObject({ id: 'head', attempts: 1 });
      expect(await q.complete('head', job!.token, null)).toBe(true);
    } finally {
      await q.close();
    }
  });
});
