/**
 * Admission prices the job the loop is about to claim: three file sessions on a 2-core budget (1.8), a stream
 * only where 0.75 is free. The pure decision, then the loop against an embedded queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION_COSTS, type AdmissionBudget } from '../../../src/domain/admission.ts';
import type { JobKind, JobRequest } from '../../../src/domain/job-request.ts';
import type { JobOutcome } from '../../../src/jobs/job-processor.ts';
import { admitsJob, isFull, WorkerLoop } from '../../../src/jobs/worker-loop.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import { createSqliteQueue } from '../../../src/queue/sqlite-queue.ts';

const budget: AdmissionBudget = { cores: 1.8, ...DEFAULT_ADMISSION_COSTS };

describe('admission decision', () => {
  it('admits a third file session on 1.8 cores, and a fourth of nothing', () => {
    expect(admitsJob([0.6, 0.6], ['file'], budget)).toBe(true);
    expect(isFull([0.6, 0.6], budget)).toBe(false);
    expect(isFull([0.6, 0.6, 0.6], budget)).toBe(true);
    expect(admitsJob([0.6, 0.6, 0.6], ['transcription'], budget)).toBe(false);
  });

  it('admits a stream only where its price fits', () => {
    expect(admitsJob([0.6, 0.6], ['stream'], budget)).toBe(false);
    expect(admitsJob([0.6], ['stream'], budget)).toBe(true);
    expect(admitsJob([0.6], ['stream', 'file'], budget)).toBe(true); // 0.6 + 0.75 + 0.1
    expect(admitsJob([0.6, 0.3, 0.3], ['stream', 'file'], budget)).toBe(false); // 1.2 + 0.85
  });

  it('always admits one job on an idle worker, even one dearer than the budget', () => {
    expect(admitsJob([], ['stream', 'file', 'transcription'], { ...budget, cores: 0.5 })).toBe(true);
    expect(isFull([], { ...budget, cores: 0.1 })).toBe(false);
  });

  it('is full when only the cheapest kind would not fit', () => {
    expect(isFull([0.6, 0.6, 0.3], budget)).toBe(false); // 1.5 + 0.3 transcription fits
    expect(isFull([0.6, 0.6, 0.3, 0.3], budget)).toBe(true);
  });
});

function request(n: number, kinds: readonly JobKind[]): JobRequest {
  const outputs = kinds.map((kind) =>
    kind === 'file'
      ? { kind, resolution: '720p' as const }
      : kind === 'stream'
        ? { kind, url: 'rtmp://127.0.0.1/live/k', youtubeBroadcastId: null }
        : { kind, language: 'en' },
  );
  return {
    sessionId: `s${n}`,
    target: { domain: 'meet.example', tenant: null, room: `r${n}` } as unknown as JobRequest['target'],
    roomPassword: null,
    outputs,
    maxDurationSec: 60,
    metadata: {},
    initiator: null,
    appId: null,
    webhookUrl: null,
  };
}

describe('worker loop admission', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function startLoop(queue: JobQueue<JobRequest>) {
    const running = new Map<string, () => void>();
    const loop = new WorkerLoop({
      queue,
      workerId: 'w',
      budget,
      logger: createLogger({ level: 'silent' }),
      process: (job, signal) =>
        new Promise<JobOutcome>((resolve) => {
          const end = (): void => {
            running.delete(job.id);
            resolve({ kind: 'failed', message: 'test', retryable: false });
          };
          running.set(job.id, end);
          signal.addEventListener('abort', end, { once: true });
        }),
    });
    loop.start();
    cleanups.push(() => loop.drain(0));
    return { loop, running };
  }

  async function until(cond: () => boolean): Promise<void> {
    const end = Date.now() + 5_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const openQueue = (): JobQueue<JobRequest> => {
    const q = createSqliteQueue<JobRequest>({ path: ':memory:', timing: { pollMs: 50 } });
    cleanups.push(() => q.close());
    return q;
  };

  it('runs three file sessions on a 2-core budget and claims no fourth', async () => {
    const queue = openQueue();
    for (let n = 0; n < 4; n++) await queue.enqueue(request(n, ['file']), { jobId: `f${n}` });
    const { loop, running } = startLoop(queue);
    await until(() => running.size === 3);
    await new Promise((r) => setTimeout(r, 150)); // a few polls: still three
    expect(running.size).toBe(3);
    expect(loop.state()).toMatchObject({ full: true, activeSessions: 3 });
    expect((await queue.get('f3'))?.status).toBe('queued');
    running.get('f0')!();
    await until(() => running.has('f3'));
  });

  it('keeps a stream queued while only 0.6 is free, and starts it when a session ends', async () => {
    const queue = openQueue();
    await queue.enqueue(request(0, ['file']), { jobId: 'f0' });
    await queue.enqueue(request(1, ['file']), { jobId: 'f1' });
    await queue.enqueue(request(2, ['stream']), { jobId: 's2' });
    await queue.enqueue(request(3, ['file']), { jobId: 'f3' });
    const { loop, running } = startLoop(queue);
    await until(() => running.size === 2);
    await new Promise((r) => setTimeout(r, 150));
    // The stream does not fit 0.6 and waits first in line; the file behind it does not overtake it.
    expect([...running.keys()].sort()).toEqual(['f0', 'f1']);
    expect(loop.state().full).toBe(false);
    running.get('f0')!();
    await until(() => running.has('s2'));
    // 0.6 + 0.75 = 1.35: the file behind (0.6) no longer fits.
    await new Promise((r) => setTimeout(r, 150));
    expect([...running.keys()].sort()).toEqual(['f1', 's2']);
  });
});
