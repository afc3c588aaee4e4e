/**
 * The job-queue conformance suite: every JobQueue implementation (embedded sqlite, BullMQ) runs these same
 * tests. Implementation-neutral: time only enters through QueueTiming (short leases and polls), and anything
 * an implementation may do in the background (recovering a lost job, failing it after maxAttempts) is awaited
 * with `eventually`, never assumed to be immediate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedJob, JobQueue, QueueTiming } from '../../src/queue/job-queue.ts';

export interface TestJob {
  readonly n: number;
}

export interface QueueUnderTest {
  readonly queue: JobQueue<TestJob>;
  /** Opens the same storage again (after `queue.close()`), as a restarted process would. */
  readonly reopen?: () => Promise<JobQueue<TestJob>>;
  readonly cleanup: () => Promise<void>;
}

export type QueueFactory = (timing: QueueTiming) => Promise<QueueUnderTest>;

const BASE_TIMING: QueueTiming = { leaseMs: 400, pollMs: 50, maxAttempts: 3 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually<R>(probe: () => Promise<R>, accept: (value: R) => boolean, timeoutMs = 5_000): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

/** Claims within `ms`, or null. */
function claimWithin<T>(queue: JobQueue<T>, workerId: string, ms: number): Promise<ClaimedJob<T> | null> {
  return queue.claim({ workerId, signal: AbortSignal.timeout(ms) });
}

async function mustClaim<T>(queue: JobQueue<T>, workerId: string, ms = 5_000): Promise<ClaimedJob<T>> {
  const job = await claimWithin(queue, workerId, ms);
  if (job === null) throw new Error(`${workerId} claimed nothing within ${ms} ms`);
  return job;
}

export function describeJobQueueConformance(name: string, factory: QueueFactory): void {
  describe(`JobQueue conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function open(timing: Partial<QueueTiming> = {}): Promise<QueueUnderTest> {
      const under = await factory({ ...BASE_TIMING, ...timing });
      cleanups.push(async () => {
        await under.queue.close();
        await under.cleanup();
      });
      return under;
    }

    it('enqueues, gets and counts', async () => {
      const { queue } = await open();
      const a = await queue.enqueue({ n: 1 });
      const b = await queue.enqueue({ n: 2 });
      expect(a).not.toBe(b);
      const rec = await queue.get(a);
      expect(rec).toMatchObject({
        id: a,
        data: { n: 1 },
        status: 'queued',
        attempts: 0,
        stopRequested: false,
        result: null,
        error: null,
      });
      expect(typeof rec?.enqueuedAtMs).toBe('number');
      expect(await queue.get('no-such-job')).toBeNull();
      expect(await queue.counts()).toEqual({ queued: 2, active: 0, completed: 0, failed: 0 });
    });

    it('claims oldest first and counts active jobs', async () => {
      const { queue } = await open();
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push(await queue.enqueue({ n }));
      const claimed: ClaimedJob<TestJob>[] = [];
      for (let i = 0; i < 5; i++) claimed.push(await mustClaim(queue, 'w1'));
      expect(claimed.map((j) => j.id)).toEqual(ids);
      expect(claimed.map((j) => j.data.n)).toEqual([0, 1, 2, 3, 4]);
      expect(claimed.every((j) => j.attempts === 1)).toBe(true);
      expect(new Set(claimed.map((j) => j.token)).size).toBe(5);
      expect(await queue.counts()).toEqual({ queued: 0, active: 5, completed: 0, failed: 0 });
      expect((await queue.get(ids[0]!))?.status).toBe('active');
    });

    it('hands each job to exactly one of several racing claimers', async () => {
      const { queue } = await open({ leaseMs: 10_000 });
      const total = 50;
      const ids = new Set<string>();
      for (let n = 0; n < total; n++) ids.add(await queue.enqueue({ n }));
      const seen: string[] = [];
      const stop = new AbortController();
      const loop = async (workerId: string): Promise<void> => {
        for (;;) {
          const job = await queue.claim({ workerId, signal: stop.signal });
          if (job === null) return;
          seen.push(job.id);
          await sleep(Math.random() * 5);
          expect(await queue.complete(job.id, job.token, { by: workerId })).toBe(true);
          if (seen.length === total) stop.abort();
        }
      };
      const guard = setTimeout(() => stop.abort(), 20_000);
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map(loop));
      clearTimeout(guard);
      expect(seen).toHaveLength(total);
      expect(new Set(seen)).toEqual(ids);
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: total, failed: 0 });
    });

    it('keeps the first job when the same jobId is enqueued twice', async () => {
      const { queue } = await open();
      expect(await queue.enqueue({ n: 1 }, { jobId: 'job-x' })).toBe('job-x');
      expect(await queue.enqueue({ n: 2 }, { jobId: 'job-x' })).toBe('job-x');
      expect(await queue.counts()).toEqual({ queued: 1, active: 0, completed: 0, failed: 0 });
      expect((await queue.get('job-x'))?.data).toEqual({ n: 1 });
      // Still one job once it is running or done.
      const job = await mustClaim(queue, 'w1');
      expect(await queue.enqueue({ n: 3 }, { jobId: 'job-x' })).toBe('job-x');
      expect(await queue.complete(job.id, job.token, null)).toBe(true);
      expect(await queue.enqueue({ n: 4 }, { jobId: 'job-x' })).toBe('job-x');
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 1, failed: 0 });
    });

    it('lists jobs by tag, newest first', async () => {
      const { queue } = await open();
      await queue.enqueue({ n: 1 }, { jobId: 'a', tags: ['room:x'] });
      await sleep(5);
      await queue.enqueue({ n: 2 }, { jobId: 'b', tags: ['room:y'] });
      await sleep(5);
      await queue.enqueue({ n: 3 }, { jobId: 'c', tags: ['room:x', 'other'] });
      expect((await queue.list({ tag: 'room:x' })).map((j) => j.id)).toEqual(['c', 'a']);
      expect((await queue.list({ tag: 'room:x', limit: 1 })).map((j) => j.id)).toEqual(['c']);
      expect(await queue.list({ tag: 'nothing' })).toEqual([]);
      const job = await mustClaim(queue, 'w1');
      expect(job.id).toBe('a');
      expect((await queue.list({ tag: 'room:x' })).find((j) => j.id === 'a')?.status).toBe('active');
    });

    it('counts the queued and active jobs of a tag, not the finished ones', async () => {
      const { queue } = await open();
      for (const id of ['o1', 'o2', 'o3', 'o4']) await queue.enqueue({ n: 1 }, { jobId: id, tags: ['user:u', 'tenant:t'] });
      await queue.enqueue({ n: 2 }, { jobId: 'other', tags: ['tenant:t'] });
      expect(await queue.countOpen('user:u')).toBe(4);
      expect(await queue.countOpen('tenant:t')).toBe(5);
      expect(await queue.countOpen('nothing')).toBe(0);
      const done = await mustClaim(queue, 'w1');
      expect(await queue.complete(done.id, done.token, null)).toBe(true);
      const failed = await mustClaim(queue, 'w1');
      expect(await queue.fail(failed.id, failed.token, { message: 'bad', retryable: false })).toBe(true);
      const retried = await mustClaim(queue, 'w1');
      expect(retried.id).toBe('o3');
      expect(await queue.fail(retried.id, retried.token, { message: 'flaky', retryable: true })).toBe(true);
      expect(await queue.requestStop('o4')).toBe(true);
      const pinned = await queue.enqueueClaimed({ n: 3 }, { workerId: 'w2', jobId: 'pinned-o', tags: ['user:u'] });
      // o3 queued again after its retryable failure, and the pinned one active.
      expect(await queue.countOpen('user:u')).toBe(2);
      expect(await queue.countOpen('tenant:t')).toBe(2);
      expect(await queue.complete(pinned.id, pinned.token, null)).toBe(true);
      expect(await queue.countOpen('user:u')).toBe(1);
    });

    it('refuses a second job holding an exclusive key until the first finishes', async () => {
      const { queue } = await open();
      await queue.enqueue({ n: 1 }, { jobId: 'first', exclusiveKeys: ['room:x:file'] });
      await expect(queue.enqueue({ n: 2 }, { jobId: 'second', exclusiveKeys: ['room:x:file'] })).rejects.toMatchObject({
        name: 'ExclusiveKeyConflict',
        key: 'room:x:file',
        holderId: 'first',
      });
      expect(await queue.get('second')).toBeNull();
      // Other keys (another mode, another room) are free; a clash on any key refuses the whole job.
      await queue.enqueue({ n: 3 }, { jobId: 'stream', exclusiveKeys: ['room:x:stream'] });
      await expect(queue.enqueue({ n: 4 }, { jobId: 'both', exclusiveKeys: ['room:z:file', 'room:x:stream'] })).rejects.toThrow(/stream/);
      await queue.enqueue({ n: 5 }, { jobId: 'z', exclusiveKeys: ['room:z:file'] }); // not left taken by 'both'
      // Retrying the same id is idempotent, not a clash.
      expect(await queue.enqueue({ n: 1 }, { jobId: 'first', exclusiveKeys: ['room:x:file'] })).toBe('first');
      const job = await mustClaim(queue, 'w1');
      expect(job.id).toBe('first');
      await expect(queue.enqueue({ n: 6 }, { exclusiveKeys: ['room:x:file'] })).rejects.toThrow(/room:x:file/);
      expect(await queue.complete(job.id, job.token, null)).toBe(true);
      expect(await queue.enqueue({ n: 7 }, { jobId: 'after', exclusiveKeys: ['room:x:file'] })).toBe('after');
      // A stopped (failed) job frees its key too.
      expect(await queue.requestStop('after')).toBe(true);
      expect(await queue.enqueue({ n: 8 }, { jobId: 'again', exclusiveKeys: ['room:x:file'] })).toBe('again');
    });

    it('enqueues a job already claimed by one worker: listed, exclusive, never handed to another', async () => {
      const { queue } = await open({ leaseMs: 300 });
      const pinned = await queue.enqueueClaimed(
        { n: 1 },
        { jobId: 'pinned', workerId: 'w1', tags: ['room:p'], exclusiveKeys: ['room:p:file'] },
      );
      expect(pinned).toMatchObject({ id: 'pinned', data: { n: 1 }, attempts: 1 });
      expect(await queue.get('pinned')).toMatchObject({ status: 'active', attempts: 1 });
      expect((await queue.list({ tag: 'room:p' })).map((j) => j.id)).toEqual(['pinned']);
      await expect(queue.enqueue({ n: 2 }, { exclusiveKeys: ['room:p:file'] })).rejects.toMatchObject({
        name: 'ExclusiveKeyConflict',
        holderId: 'pinned',
      });
      await expect(queue.enqueueClaimed({ n: 3 }, { workerId: 'w1', exclusiveKeys: ['room:p:file'] })).rejects.toMatchObject({
        name: 'ExclusiveKeyConflict',
      });
      await expect(queue.enqueueClaimed({ n: 4 }, { jobId: 'pinned', workerId: 'w2' })).rejects.toMatchObject({ name: 'JobIdTaken' });
      // Renewed by its holder, nobody else claims it.
      const rival = claimWithin(queue, 'rival', 700);
      for (let i = 0; i < 6; i++) {
        await sleep(100);
        expect(await queue.renew('pinned', pinned.token)).toBe(true);
      }
      expect(await rival).toBeNull();
      expect(await queue.counts()).toMatchObject({ queued: 0, active: 1 });
      expect(await queue.complete('pinned', pinned.token, { ok: true })).toBe(true);
      expect(await queue.get('pinned')).toMatchObject({ status: 'completed', result: { ok: true } });
      // Its key is free again; a pinned job whose holder died is recovered like any other.
      const orphan = await queue.enqueueClaimed({ n: 5 }, { jobId: 'orphan', workerId: 'dead', exclusiveKeys: ['room:p:file'] });
      const recovered = await mustClaim(queue, 'rescuer');
      expect(recovered).toMatchObject({ id: 'orphan', attempts: 2 });
      expect(await queue.complete('orphan', orphan.token, null)).toBe(false);
    });

    it('completes only with the current token, once', async () => {
      const { queue } = await open();
      const id = await queue.enqueue({ n: 1 });
      const job = await mustClaim(queue, 'w1');
      expect(await queue.complete(id, 'stale-token', { ok: false })).toBe(false);
      expect(await queue.fail(id, 'stale-token', { message: 'x', retryable: false })).toBe(false);
      expect(await queue.renew(id, 'stale-token')).toBe(false);
      expect((await queue.get(id))?.status).toBe('active');
      expect(await queue.complete(id, job.token, { file: 'a.mp4' })).toBe(true);
      expect(await queue.complete(id, job.token, { file: 'b.mp4' })).toBe(false);
      expect(await queue.fail(id, job.token, { message: 'late', retryable: true })).toBe(false);
      expect(await queue.get(id)).toMatchObject({ status: 'completed', result: { file: 'a.mp4' }, attempts: 1 });
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 1, failed: 0 });
    });

    it('requeues a retryable failure and fails a non-retryable one, counting attempts', async () => {
      const { queue } = await open();
      const id = await queue.enqueue({ n: 1 });
      const first = await mustClaim(queue, 'w1');
      expect(await queue.fail(id, first.token, { message: 'flaky', retryable: true })).toBe(true);
      expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 1 });
      const second = await mustClaim(queue, 'w2');
      expect(second).toMatchObject({ id, attempts: 2 });
      expect(second.token).not.toBe(first.token);
      expect(await queue.complete(id, first.token, null)).toBe(false);
      expect(await queue.fail(id, second.token, { message: 'bad request', retryable: false })).toBe(true);
      expect(await queue.get(id)).toMatchObject({
        status: 'failed',
        attempts: 2,
        error: { message: 'bad request', retryable: false },
      });
      expect(await claimWithin(queue, 'w3', 200)).toBeNull();
    });

    it('fails a retryable failure once maxAttempts is used up', async () => {
      const { queue } = await open({ maxAttempts: 2 });
      const id = await queue.enqueue({ n: 1 });
      for (let attempt = 1; attempt <= 2; attempt++) {
        const job = await mustClaim(queue, 'w1');
        expect(job.attempts).toBe(attempt);
        expect(await queue.fail(id, job.token, { message: `try ${attempt}`, retryable: true })).toBe(true);
      }
      expect(await queue.get(id)).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'try 2' } });
      expect(await claimWithin(queue, 'w1', 200)).toBeNull();
    });

    it('recovers a job whose lease expired; the first holder can no longer report it', async () => {
      const { queue } = await open({ leaseMs: 300 });
      const id = await queue.enqueue({ n: 7 });
      const lost = await mustClaim(queue, 'crashed-worker');
      const startedAt = Date.now();
      const recovered = await mustClaim(queue, 'rescuer');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(recovered).toMatchObject({ id, data: { n: 7 }, attempts: 2 });
      expect(recovered.token).not.toBe(lost.token);
      expect(await queue.renew(id, lost.token)).toBe(false);
      expect(await queue.complete(id, lost.token, { by: 'crashed' })).toBe(false);
      expect(await queue.fail(id, lost.token, { message: 'x', retryable: true })).toBe(false);
      expect(await queue.complete(id, recovered.token, { by: 'rescuer' })).toBe(true);
      expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 2, result: { by: 'rescuer' } });
    });

    it('hands the last checkpoint of a lost holder to the next claim; only the lease holder may write it', async () => {
      const { queue } = await open({ leaseMs: 300 });
      const id = await queue.enqueue({ n: 8 });
      const first = await mustClaim(queue, 'crashed-worker');
      expect(first.checkpoint).toBeNull();
      expect(await queue.saveCheckpoint(id, first.token, { parts: [1] })).toBe(true);
      expect(await queue.saveCheckpoint(id, first.token, { parts: [1, 2], key: 'rec/a.mp4' })).toBe(true);
      expect(await queue.saveCheckpoint(id, 'not-the-token', { parts: ['forged'] })).toBe(false);
      const second = await mustClaim(queue, 'rescuer');
      expect(second.checkpoint).toEqual({ parts: [1, 2], key: 'rec/a.mp4' });
      // The old holder lost the lease: it can no longer overwrite its successor's state.
      expect(await queue.saveCheckpoint(id, first.token, { parts: ['stale'] })).toBe(false);
      expect(await queue.saveCheckpoint(id, second.token, { segment: 2 })).toBe(true);
      expect(await queue.complete(id, second.token, null)).toBe(true);
      expect(await queue.saveCheckpoint(id, second.token, { after: 'complete' })).toBe(false);
    });

    it('keeps a job with its holder while the lease is renewed', async () => {
      const { queue } = await open({ leaseMs: 300 });
      const id = await queue.enqueue({ n: 1 });
      const job = await mustClaim(queue, 'holder');
      const rival = claimWithin(queue, 'rival', 1_000);
      const renewals: boolean[] = [];
      for (let i = 0; i < 10; i++) {
        await sleep(100);
        renewals.push(await queue.renew(id, job.token));
      }
      expect(renewals.every(Boolean)).toBe(true);
      expect(await rival).toBeNull();
      expect(await queue.complete(id, job.token, null)).toBe(true);
      expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 1 });
    });

    it('fails a job that was lost maxAttempts times', async () => {
      const { queue } = await open({ leaseMs: 300, maxAttempts: 2 });
      const id = await queue.enqueue({ n: 1 });
      expect((await mustClaim(queue, 'w1')).attempts).toBe(1);
      expect((await mustClaim(queue, 'w2')).attempts).toBe(2); // after w1's lease expired
      const rec = await eventually(
        () => queue.get(id),
        (r) => r?.status === 'failed',
      );
      expect(rec).toMatchObject({ status: 'failed', attempts: 2, error: { retryable: false } });
      expect(rec?.error?.message).toMatch(/lost/i);
      expect(await claimWithin(queue, 'w3', 200)).toBeNull();
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 0, failed: 1 });
    });

    it('delivers a stop request for an active job to its holder', async () => {
      const { queue } = await open({ leaseMs: 5_000 });
      const id = await queue.enqueue({ n: 1 });
      const job = await mustClaim(queue, 'w1');
      let calls = 0;
      const heard = new Promise<void>((resolve) => {
        queue.onStopRequested(id, () => {
          calls++;
          resolve();
        });
      });
      await sleep(120);
      expect(calls).toBe(0);
      expect(await queue.requestStop(id)).toBe(true);
      await Promise.race([heard, sleep(3_000).then(() => Promise.reject(new Error('stop request never arrived')))]);
      expect(await queue.get(id)).toMatchObject({ status: 'active', stopRequested: true });
      // A stopped job is not run again, even when its holder reports a retryable failure.
      expect(await queue.fail(id, job.token, { message: 'stopped', retryable: true })).toBe(true);
      expect((await queue.get(id))?.status).toBe('failed');
      await sleep(150);
      expect(calls).toBe(1);
    });

    it('tells a listener that subscribes after the stop request', async () => {
      const { queue } = await open({ leaseMs: 5_000 });
      const id = await queue.enqueue({ n: 1 });
      await mustClaim(queue, 'w1');
      expect(await queue.requestStop(id)).toBe(true);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('stop request never arrived')), 3_000);
        queue.onStopRequested(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });

    it('stops calling a listener once unsubscribed', async () => {
      const { queue } = await open({ leaseMs: 5_000 });
      const id = await queue.enqueue({ n: 1 });
      const job = await mustClaim(queue, 'w1');
      let calls = 0;
      const unsubscribe = queue.onStopRequested(id, () => calls++);
      unsubscribe();
      unsubscribe();
      expect(await queue.requestStop(id)).toBe(true);
      await sleep(300);
      expect(calls).toBe(0);
      expect(await queue.complete(id, job.token, null)).toBe(true);
    });

    it('fails a queued job at once when stopped; refuses to stop unknown or finished jobs', async () => {
      const { queue } = await open();
      const id = await queue.enqueue({ n: 1 });
      expect(await queue.requestStop(id)).toBe(true);
      expect(await queue.get(id)).toMatchObject({
        status: 'failed',
        attempts: 0,
        error: { message: 'stopped before it started', retryable: false },
      });
      expect(await claimWithin(queue, 'w1', 200)).toBeNull();
      expect(await queue.requestStop(id)).toBe(false);
      expect(await queue.requestStop('no-such-job')).toBe(false);
      const done = await queue.enqueue({ n: 2 });
      const job = await mustClaim(queue, 'w1');
      expect(await queue.complete(done, job.token, null)).toBe(true);
      expect(await queue.requestStop(done)).toBe(false);
      expect((await queue.get(done))?.status).toBe('completed');
    });

    it('returns null promptly when the claim is aborted', async () => {
      const { queue } = await open({ pollMs: 1_000 });
      const already = new AbortController();
      already.abort();
      expect(await queue.claim({ workerId: 'w1', signal: already.signal })).toBeNull();
      const ctrl = new AbortController();
      const startedAt = Date.now();
      const pending = queue.claim({ workerId: 'w1', signal: ctrl.signal });
      setTimeout(() => ctrl.abort(), 100);
      expect(await pending).toBeNull();
      expect(Date.now() - startedAt).toBeLessThan(600);
      // Nothing was taken by the aborted claim.
      const id = await queue.enqueue({ n: 1 });
      expect((await mustClaim(queue, 'w2')).id).toBe(id);
    });

    it('wakes a waiting claimer when a job arrives', async () => {
      const { queue } = await open();
      const pending = mustClaim(queue, 'w1');
      await sleep(150);
      const id = await queue.enqueue({ n: 1 });
      expect((await pending).id).toBe(id);
    });

    it('closes idempotently and ends waiting claims with null', async () => {
      const { queue } = await open();
      const pending = queue.claim({ workerId: 'w1', signal: new AbortController().signal });
      await sleep(100);
      const first = queue.close();
      const second = queue.close();
      await Promise.all([first, second]);
      expect(await pending).toBeNull();
      await queue.close();
    });

    it('keeps queued and running jobs across a reopen', async (ctx) => {
      const under = await open({ leaseMs: 300 });
      if (under.reopen === undefined) {
        ctx.skip();
        return;
      }
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) ids.push(await under.queue.enqueue({ n }));
      const running = await mustClaim(under.queue, 'before-restart');
      expect(running.id).toBe(ids[0]);
      await under.queue.close();

      const queue = await under.reopen();
      cleanups.push(() => queue.close());
      expect(await queue.counts()).toMatchObject({ queued: 2, active: 1 });
      const claimed = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        const job = await mustClaim(queue, 'after-restart');
        claimed.set(job.id, job.attempts);
        expect(await queue.complete(job.id, job.token, null)).toBe(true);
      }
      expect(claimed).toEqual(
        new Map([
          [ids[0]!, 2],
          [ids[1]!, 1],
          [ids[2]!, 1],
        ]),
      );
      expect(await queue.complete(running.id, running.token, null)).toBe(false);
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 3, failed: 0 });
    });
  });
}
