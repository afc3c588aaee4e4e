/**
 * npm run bench:warm-start — how much a warm capture environment (worker.warmSessions) saves: POST
 * /v1/sessions → the session's `capturing` step and `running` state, through the API and worker of `scriba
 * serve` (one process, embedded queue) against the synthetic meeting, with worker.warmSessions = 0 and 1,
 * one session at a time (with the pool, each request waits until the replacement is ready, so every run
 * measures a warm start). Then the pool's idle cost: CPU and PSS of one warm environment over 20 s with no
 * session. Writes bench/results/warm-start.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemoMeeting, type DemoMeeting } from '../src/demo-meeting/demo-meeting-server.ts';
import { createLogger } from '../src/log/logger.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import { startApi } from '../workers/api.ts';
import { startWorker } from '../workers/worker.ts';
import { benchConfig } from './lib/bench-config.ts';
import { descendants } from '../test/helpers/processes.ts';
import { ProcSampler } from './lib/proc-sampler.ts';
import { readPss } from './lib/pss.ts';
import { BENCH_AUTH, benchHeaders } from './lib/bench-auth.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const IDLE_SEC = Number(process.env['BENCH_IDLE_SEC'] ?? 20);
const STEPS = ['launching', 'joining', 'capturing'] as const;

interface Run {
  readonly warm: boolean;
  /** ms after the POST was sent. */
  readonly stepMs: Record<string, number>;
  readonly runningMs: number;
}

/** A logger that notes when each session logged each start step (pino's `time`, epoch ms). */
function stepLog() {
  const seen = new Map<string, Record<string, number>>();
  const warm = new Set<string>();
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.startsWith('{')) continue;
        const l = JSON.parse(line) as { time: number; msg: string; sessionId?: string; state?: { status: string; step?: string } };
        if (!l.sessionId) continue;
        if (l.msg === 'session uses a warm capture environment') warm.add(l.sessionId);
        const key = l.state?.status === 'starting' ? l.state.step : l.state?.status;
        if (key) seen.set(l.sessionId, { ...seen.get(l.sessionId), [key]: l.time });
      }
      cb();
    },
  });
  return { seen, warm, logger: createLogger({ level: 'info', destination }) };
}

const p50 = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};

async function measureStarts(meeting: DemoMeeting, warmSessions: number): Promise<Run[]> {
  const { config } = benchConfig(`warm-${warmSessions}`, {
    auth: BENCH_AUTH,
    worker: { warmSessions },
  });
  const log = stepLog();
  const queue = createQueue(config);
  const worker = await startWorker(config, log.logger, queue);
  const api = await startApi(config, log.logger, queue);
  const headers = await benchHeaders();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      if (warmSessions > 0) while (worker.warmStats()?.ready !== warmSessions) await sleep(50);
      // Let the replacement's start settle: a run measures the session, not a Chromium still starting next to it.
      await sleep(1000);
      const t0 = Date.now();
      const res = await fetch(`${api.url}/v1/sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ meetingUrl: `${meeting.url}/warm-${warmSessions}-${i}?participants=2`, mode: 'file' }),
      });
      const { id } = (await res.json()) as { id: string };
      while (worker.sessionStates().get(id) !== 'running' && Date.now() - t0 < 60_000) {
        if ((await queue.get(id))?.status === 'failed') throw new Error(`bench session ${id} failed`);
        await sleep(10);
      }
      await sleep(200);
      const at = log.seen.get(id) ?? {};
      const stepMs = Object.fromEntries(STEPS.filter((s) => at[s]).map((s) => [s, at[s]! - t0]));
      runs.push({ warm: log.warm.has(id), stepMs, runningMs: (at['running'] ?? Number.NaN) - t0 });
      await fetch(`${api.url}/v1/sessions/${id}/stop`, { method: 'POST', headers: { authorization: headers.authorization } });
      while ((await queue.get(id))?.status === 'active') await sleep(100);
    }
  } finally {
    await api.close();
    await worker.shutdown(10_000);
  }
  return runs;
}

/** The summed PSS of this process's descendants now (ProcSampler keeps the peak, which includes Chromium's start). */
function pssNowMb(): number {
  let kb = 0;
  for (const pid of descendants(process.pid)) kb += readPss(pid).totalKb;
  return Math.round(kb / 1024);
}

/** CPU and PSS of the worker's child processes over IDLE_SEC with no session: the warm environments alone. */
async function measureIdle(warmSessions: number) {
  const { config } = benchConfig(`idle-${warmSessions}`, { worker: { warmSessions } });
  const worker = await startWorker(config, createLogger({ level: 'warn', destination: process.stderr as never }));
  try {
    const t0 = Date.now();
    if (warmSessions > 0) while (worker.warmStats()?.ready !== warmSessions) await sleep(50);
    const readyMs = Date.now() - t0;
    // Chromium keeps working for a few seconds after start (component setup); idle is what comes after.
    await sleep(5000);
    const sampler = new ProcSampler(process.pid);
    sampler.start(1000);
    await sleep(IDLE_SEC * 1000);
    return { readyMs, ...sampler.stop(), pssEndMb: pssNowMb() };
  } finally {
    await worker.shutdown(10_000);
  }
}

const meeting = await startDemoMeeting({ port: 0 });
const load = [loadavg()[0]!];
let cold: Run[];
let warm: Run[];
try {
  cold = await measureStarts(meeting, 0);
  load.push(loadavg()[0]!);
  warm = await measureStarts(meeting, 1);
  load.push(loadavg()[0]!);
} finally {
  await meeting.close();
}
const idle = await measureIdle(1);
load.push(loadavg()[0]!);

const summary = (runs: Run[]) => ({
  warmRuns: runs.filter((r) => r.warm).length,
  p50Ms: {
    ...Object.fromEntries(STEPS.map((s) => [s, p50(runs.flatMap((r) => (r.stepMs[s] === undefined ? [] : [r.stepMs[s]!])))])),
    running: p50(runs.map((r) => r.runningMs)),
  },
  runs,
});
const report = {
  description:
    'POST /v1/sessions → session step (ms after the request was sent), scriba serve in-process (API + worker, sqlite queue), synthetic meeting with 2 participants, 720p; one session at a time. warmSessions=1 waits for the replacement before each request.',
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', loadAverage1m: load.map((l) => Math.round(l * 100) / 100) },
  cold: summary(cold),
  warm: summary(warm),
  idlePerWarmEnvironment: {
    seconds: IDLE_SEC,
    readyAfterStartMs: idle.readyMs,
    cpuCores: idle.cpuCores,
    cpuCoresByProcess: idle.cpuCoresByProcess,
    peakPssMb: idle.peakPssMb,
    pssAtEndMb: idle.pssEndMb,
  },
  note: 'A shared 2-core machine: loadAverage1m (sampled before, between and after the phases) says how busy it was; read the numbers as an indication, medians of few runs.',
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/warm-start.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(
  `${JSON.stringify({ cold: report.cold.p50Ms, warm: report.warm.p50Ms, idle: report.idlePerWarmEnvironment }, null, 2)}\n`,
);
