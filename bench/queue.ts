/**
 * npm run bench:queue — the job queues on their own (no recording): for the embedded sqlite queue and BullMQ
 * on a local redis-server, with 1 and 2 worker processes, (1) enqueue → claim latency of 200 jobs enqueued
 * 25 ms apart (the moment a worker would start the session), (2) 1,000 jobs enqueued at once and claimed:
 * how many were lost (never completed) or doubled (claimed more than once). Writes bench/results/queue.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBullmqQueue } from '../src/queue/bullmq-queue.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { createSqliteQueue } from '../src/queue/sqlite-queue.ts';
import { startRedis } from '../test/helpers/redis-server.ts';
import { measureSessionStart } from './lib/session-start.ts';

const POLL_MS = 200;
const LATENCY_JOBS = 200;
const BULK_JOBS = 1000;

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
      const child = spawn(process.execPath, ['bench/lib/queue-worker.ts', ...args(i)], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function runCase(open: () => JobQueue<{ n: number }>, workerArgs: (i: number) => string[], workers: number) {
  const queue = open();
  const w = await startWorkers(workers, workerArgs);
  try {
    // 1. Latency.
    const enqueuedAt = new Map<string, number>();
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const id = `lat-${i}`;
      enqueuedAt.set(id, Date.now());
      await queue.enqueue({ n: i }, { jobId: id });
      await sleep(25);
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
      enqueueToClaimMs: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) ?? null, samples: latencies.length },
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

const dir = mkdtempSync(`${tmpdir()}/scriba-bench-queue-`);
const results: Record<string, unknown[]> = { sqlite: [], bullmq: [] };
for (const workers of [1, 2]) {
  const file = `${dir}/queue-${workers}.sqlite`;
  process.stderr.write(`bench: sqlite, ${workers} worker(s)…\n`);
  results['sqlite']!.push(
    await runCase(
      () => createSqliteQueue({ path: file, timing: { pollMs: POLL_MS } }),
      (i) => ['sqlite', file, `w${i}`, String(POLL_MS)],
      workers,
    ),
  );
}
const redis = await startRedis();
try {
  for (const workers of [1, 2]) {
    const name = `bench${workers}`;
    process.stderr.write(`bench: bullmq, ${workers} worker(s)…\n`);
    results['bullmq']!.push(
      await runCase(
        () => createBullmqQueue({ connection: { url: redis.url }, queueName: name, timing: { pollMs: POLL_MS } }),
        (i) => ['bullmq', redis.url, `w${i}`, String(POLL_MS), name],
        workers,
      ),
    );
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
const report = {
  benchmark: 'queue',
  measured: `enqueue → claim latency (${LATENCY_JOBS} jobs, 25 ms apart; a claim is when a worker would start the session) and ${BULK_JOBS} jobs enqueued at once, claimed by 1 or 2 worker processes; jobs do no work; pollMs ${POLL_MS}`,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  date: new Date().toISOString(),
  definitions: {
    enqueueToClaimMs: 'from just before enqueue() to the worker holding the claim, on the same clock, ms',
    lost: 'jobs enqueued but never completed',
    doubled: 'jobs claimed more than once (no worker died, so any is a bug)',
  },
  ...results,
  sessionStart,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/queue.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ ...results, sessionStart })}\n`);
