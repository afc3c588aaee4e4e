/**
 * npm run bench:queue — the job queues on their own (no recording): for the embedded sqlite queue and BullMQ
 * on a local redis-server, the enqueuer (the API's role) in this process and 1 or 2 worker processes, each
 * with the wake on enqueue off (poll only, as before) and on: (1) enqueue → claim latency of jobs enqueued
 * 20–30 ms apart (the moment a worker would start the session), (2) 1,000 jobs enqueued at once and claimed:
 * how many were lost (never completed) or doubled (claimed more than once). Writes bench/results/queue.json.
 * `queue.ts --worker …` is the worker process (claims until SIGTERM; prints `claimed <id> <attempts> <epochMs>`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBullmqQueue } from '../src/queue/bullmq-queue.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { createSqliteQueue } from '../src/queue/sqlite-queue.ts';
import { startRedis } from '../test/helpers/redis-server.ts';
import { measureSessionStart } from './lib/session-start.ts';

const POLL_MS = 200;
const LATENCY_JOBS = 400;
/** Claimed before measuring: the first claims of a fresh process (connections, JIT) are not pick-up latency. */
const WARMUP_JOBS = 20;
const BULK_JOBS = 1000;
const SELF = fileURLToPath(import.meta.url);
type Mode = 'poll' | 'wake';

function openQueue(backend: string, where: string, mode: Mode, queueName: string): JobQueue<{ n: number }> {
  const timing = { pollMs: POLL_MS, leaseMs: 30_000, maxAttempts: 3 };
  const wakeOnEnqueue = mode === 'wake';
  return backend === 'sqlite'
    ? createSqliteQueue({ path: where, timing, wakeOnEnqueue })
    : createBullmqQueue({ connection: { url: where }, queueName, timing, wakeOnEnqueue });
}

/** The worker process: claims and completes until SIGTERM; jobs do no work, this measures the queue. */
async function runWorker([backend = '', where = '', workerId = '', mode = 'wake', queueName = 'bench']: string[]): Promise<void> {
  const queue = openQueue(backend, where, mode as Mode, queueName);
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  process.stdout.write('ready\n');
  let out = '';
  // Batched output: a write per claim would cost more than the claim.
  const flush = setInterval(() => {
    if (out) process.stdout.write(out);
    out = '';
  }, 50);
  for (;;) {
    const job = await queue.claim({ workerId, signal: stop.signal });
    if (job === null) break;
    out += `claimed ${job.id} ${job.attempts} ${Date.now()}\n`;
    const ok = await queue.complete(job.id, job.token, null);
    out += `completed ${job.id} ${ok}\n`;
  }
  clearInterval(flush);
  process.stdout.write(out);
  await queue.close();
}

interface Workers {
  readonly claims: Map<string, number[]>;
  readonly completed: Set<string>;
  stop(): Promise<void>;
}

async function startWorkers(n: number, args: (i: number) => string[]): Promise<Workers> {
  const claims = new Map<string, number[]>();
  const completed = new Set<string>();
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, [SELF, '--worker', ...args(i)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let buf = '';
      return new Promise<void>((resolve) => {
        child.stdout!.on('data', (c: Buffer) => {
          buf += c.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const line of lines) {
            const [kind, id, a, b] = line.split(' ');
            if (kind === 'ready') resolve();
            if (kind === 'claimed' && id) claims.set(id, [...(claims.get(id) ?? []), Number(b)]);
            if (kind === 'completed' && id && a === 'true') completed.add(id);
          }
        });
      });
    }),
  );
  return {
    claims,
    completed,
    async stop() {
      await Promise.all(children.map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))));
    },
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

async function runCase(open: () => JobQueue<{ n: number }>, workerArgs: (i: number) => string[], workers: number, mode: Mode) {
  const queue = open();
  const w = await startWorkers(workers, workerArgs);
  const loadBefore = loadavg()[0]!;
  try {
    const warm = Array.from({ length: WARMUP_JOBS }, (_, i) => `warm-${i}`);
    for (const id of warm) {
      await queue.enqueue({ n: -1 }, { jobId: id });
      await sleep(25);
    }
    await waitFor(() => warm.every((id) => w.completed.has(id)), 10_000);
    await sleep(300); // the workers are waiting
    // 1. Latency.
    const enqueuedAt = new Map<string, number>();
    const enqueueCalls: number[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const id = `lat-${i}`;
      const t = Date.now();
      enqueuedAt.set(id, t);
      await queue.enqueue({ n: i }, { jobId: id });
      enqueueCalls.push(Date.now() - t);
      // Irregular gaps, so arrivals do not lock onto the poll's phase.
      await sleep(20 + Math.random() * 10);
    }
    await waitFor(() => [...enqueuedAt.keys()].every((id) => w.completed.has(id)), 30_000);
    const latencies = [...enqueuedAt]
      .flatMap(([id, t]) => (w.claims.get(id)?.[0] === undefined ? [] : [w.claims.get(id)![0]! - t]))
      .sort((a, b) => a - b);
    // 2. 1,000 at once.
    const started = Date.now();
    for (let i = 0; i < BULK_JOBS; i++) await queue.enqueue({ n: i }, { jobId: `bulk-${i}` });
    const ids = Array.from({ length: BULK_JOBS }, (_, i) => `bulk-${i}`);
    await waitFor(() => ids.every((id) => w.completed.has(id)), 120_000);
    const seconds = (Date.now() - started) / 1000;
    return {
      workers,
      wakeOnEnqueue: mode === 'wake',
      loadAverage1m: { before: round2(loadBefore), after: round2(loadavg()[0]!) },
      enqueueToClaimMs: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) ?? null, samples: latencies.length },
      enqueueCallMs: (() => {
        const sorted = enqueueCalls.sort((a, b) => a - b);
        return { p50: pct(sorted, 50), p99: pct(sorted, 99) };
      })(),
      bulk: {
        jobs: BULK_JOBS,
        lost: ids.filter((id) => !w.completed.has(id)).length,
        doubled: ids.filter((id) => (w.claims.get(id)?.length ?? 0) > 1).length,
        seconds: Math.round(seconds * 100) / 100,
        jobsPerSecond: Math.round(BULK_JOBS / seconds),
      },
    };
  } finally {
    await w.stop();
    await queue.close();
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

if (process.argv[2] === '--worker') {
  await runWorker(process.argv.slice(3));
  process.exit(0);
}

const dir = mkdtempSync(`${tmpdir()}/scriba-bench-queue-`);
const results: Record<string, unknown[]> = { sqlite: [], bullmq: [] };
const modes: readonly Mode[] = ['poll', 'wake'];
for (const mode of modes) {
  for (const workers of [1, 2]) {
    const file = `${dir}/queue-${mode}-${workers}.sqlite`;
    process.stderr.write(`bench: sqlite, ${mode}, ${workers} worker(s)…\n`);
    results['sqlite']!.push(
      await runCase(
        () => openQueue('sqlite', file, mode, ''),
        (i) => ['sqlite', file, `w${i}`, mode],
        workers,
        mode,
      ),
    );
  }
}
const redis = await startRedis();
try {
  for (const mode of modes) {
    for (const workers of [1, 2]) {
      const name = `bench-${mode}-${workers}`;
      process.stderr.write(`bench: bullmq, ${mode}, ${workers} worker(s)…\n`);
      results['bullmq']!.push(
        await runCase(
          () => openQueue('bullmq', redis.url, mode, name),
          (i) => ['bullmq', redis.url, `w${i}`, mode, name],
          workers,
          mode,
        ),
      );
    }
  }
} finally {
  await redis.stop();
}
// End to end: the request through the API to a session capturing (Chromium launched, meeting joined).
process.stderr.write('bench: API → session running, 5 sessions one after the other…\n');
const starts = await measureSessionStart(5);
const stat = (k: 'requestMs' | 'enqueueToClaimMs' | 'enqueueToRunningMs') => {
  const v = starts.map((s) => s[k]).sort((a, b) => a - b);
  return { p50: pct(v, 50), max: v[v.length - 1] ?? null, samples: v.length };
};
const sessionStart = {
  measured:
    'POST /v1/sessions on `scriba serve` (embedded queue, one worker, synthetic meeting with 2 participants) until the session is running (capture started; RECORDING_STARTED is sent then); one at a time',
  requestMs: stat('requestMs'),
  enqueueToClaimMs: stat('enqueueToClaimMs'),
  enqueueToRunningMs: stat('enqueueToRunningMs'),
};
const loads = Object.values(results)
  .flat()
  .flatMap((r) => {
    const l = (r as { loadAverage1m: { before: number; after: number } }).loadAverage1m;
    return [l.before, l.after];
  });
const busy = Math.max(...loads) > cpus().length;
const notes = [
  `1-minute load average during the cases: ${Math.min(...loads)}–${Math.max(...loads)} on ${cpus().length} cores.`,
  ...(busy
    ? [
        'The machine was shared with other work (load above its core count): tails (p99, max) are inflated by CPU scheduling and fsync waits; medians much less. Compare poll and wake rows of the same run.',
      ]
    : []),
];
const report = {
  benchmark: 'queue',
  notes,
  measured: `enqueue → claim latency (${LATENCY_JOBS} jobs, 20–30 ms apart, after ${WARMUP_JOBS} unmeasured warm-up jobs; a claim is when a worker would start the session) and ${BULK_JOBS} jobs enqueued at once, enqueued in this process and claimed by 1 or 2 separate worker processes; jobs do no work; pollMs ${POLL_MS}; wakeOnEnqueue false (poll only, the behaviour before) and true (the embedded queue's notify file, BullMQ's marker on Redis)`,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  date: new Date().toISOString(),
  definitions: {
    enqueueToClaimMs: 'from just before enqueue() to the worker holding the claim, on the same clock, ms',
    enqueueCallMs: 'how long enqueue() itself took (included in enqueueToClaimMs): the durable write, fsync on the embedded queue',
    loadAverage1m: "the machine's 1-minute load average before and after the case: other work on a shared machine shows here",
    lost: 'jobs enqueued but never completed',
    doubled: 'jobs claimed more than once (no worker died, so any is a bug)',
  },
  ...results,
  sessionStart,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/queue.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ ...results, sessionStart })}\n`);
