/**
 * Composition root of a worker process: the queue chosen by configuration, the recorder, admission, the
 * HTTP endpoints and metrics. `scriba worker` runs this; SIGTERM drains it.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { buildWorkerHttp } from '../src/api/worker-http.ts';
import { sweepStaleScratch } from '../src/capture/scratch-sweep.ts';
import { admissionBudget } from '../src/config/admission-budget.ts';
import type { ScribaConfig } from '../src/config/config.ts';
import { jobPolicy } from '../src/config/job-policy.ts';
import type { JobRequest } from '../src/domain/job-request.ts';
import { startBrewery, type Brewery } from '../src/jobs/brewery.ts';
import { processJob } from '../src/jobs/job-processor.ts';
import { storageDeps } from '../src/jobs/storage-deps.ts';
import type { StorageDeps } from '../src/jobs/upload-phase.ts';
import { WorkerLoop } from '../src/jobs/worker-loop.ts';
import { createWorkerMetrics } from '../src/jobs/worker-metrics.ts';
import type { Logger } from '../src/log/logger.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { createConfiguredStore, startRetention, type ConfiguredStore } from '../src/storage/configured-store.ts';
import type { WarmPoolStats } from '../src/session/warm-pool.ts';
import { createWebhookService, type WebhookService } from '../src/webhooks/index.ts';
// The session factory: its own root (workers/recorder.ts), which the worker wires in.
import { createRecorder } from './recorder.ts';

export interface RunningWorker {
  readonly url: string;
  readonly loop: WorkerLoop;
  readonly queue: JobQueue<JobRequest>;
  readonly webhooks: WebhookService;
  /** The Jibri breweries this worker serves (null: none configured). */
  readonly brewery: Brewery | null;
  /** The lifecycle state of each session this worker runs, by job id. */
  sessionStates(): ReadonlyMap<string, string>;
  /** The warm capture environments' counts (null: worker.warmSessions is 0). */
  warmStats(): WarmPoolStats | null;
  /** Drain (grace from config unless given), stop the HTTP server, close the queue. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  /** The object store (shared with the API under `scriba serve`); default: from configuration. */
  readonly store?: ConfiguredStore | null;
}

export async function startWorker(
  config: ScribaConfig,
  logger: Logger,
  queue: JobQueue<JobRequest> = createQueue(config),
  options: WorkerOptions = {},
): Promise<RunningWorker> {
  const configured = options.store !== undefined ? options.store : createConfiguredStore(config, logger);
  const recorder = createRecorder(config, logger, { warmSessions: config.worker.warmSessions });
  const budget = admissionBudget(config);
  if (config.webhooks.outboxPath !== ':memory:') mkdirSync(dirname(config.webhooks.outboxPath), { recursive: true });
  // Every worker delivers the events of the sessions it runs, from the durable outbox (retried across restarts).
  let webhooks: WebhookService | null = null;
  const states = new Map<string, string>();
  let storage: StorageDeps | null = null;
  const publish = (event: Parameters<WebhookService['publish']>[0], extraUrl: string | null) =>
    webhooks === null ? Promise.resolve() : webhooks.publish(event, extraUrl);
  // The loop and the metrics refer to each other only through callbacks that run after both exist.
  const loop: WorkerLoop = new WorkerLoop({
    queue,
    workerId: `${hostname()}-${process.pid}`,
    budget,
    logger,
    process: (job, signal) =>
      processJob(
        job,
        {
          queue,
          config,
          logger,
          createSession: (r) => recorder.createSession(r),
          renewEveryMs: (config.queue.leaseSec * 1000) / 3,
          publish,
          onState: (id, s) => {
            states.set(id, s.status);
            metrics.sessionState(id, s.status);
          },
          ...(storage ? { storage } : {}),
        },
        signal,
      ),
    onJobEvent: (e) => {
      if (e.type === 'started') return metrics.jobStarted(e.jobId, e.kinds, e.waitMs);
      states.delete(e.jobId);
      metrics.jobEnded(e.jobId, e.kinds, e.outcome);
    },
  });
  const metrics = createWorkerMetrics(() => loop.capacity());
  webhooks = createWebhookService(config.webhooks, { logger, registry: metrics.registry });
  const sending = new AbortController();
  webhooks.start(sending.signal);
  storage = configured ? storageDeps(config, configured, (outcome, bytes) => metrics.uploaded(outcome, bytes)) : null;
  const retention = startRetention(config, configured ?? null, logger, sending.signal, (a) => metrics.retentionDeleted(a.kind));
  metrics.watchQueue(() => queue.counts());
  const http = buildWorkerHttp({ state: () => loop.state(), registry: metrics.registry, logger });
  let url: string;
  try {
    url = await http.listen({ host: config.worker.host, port: config.worker.port });
  } catch (err) {
    // A worker that cannot serve its probes must not linger half-started (its cron and outbox would keep it
    // alive, doing nothing, and no supervisor would restart it): undo what was started and fail the start.
    sending.abort();
    await retention;
    await webhooks.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    await recorder.close();
    throw err;
  }
  // Scratch directories of sessions a crashed process left behind (browser profiles, sockets).
  await sweepStaleScratch(config.workDir, logger).catch((err: unknown) => logger.warn({ err }, 'could not sweep old scratch directories'));
  loop.start();
  // Jibri's single-use mode: after its first brewery session the worker drains and exits, as on SIGTERM.
  const brewery = startBrewery({
    config,
    logger,
    queue,
    loop,
    budget,
    policy: jobPolicy(config),
    sessionStates: () => states,
    onExpired: () => process.kill(process.pid, 'SIGTERM'),
  });
  logger.info({ url, cores: budget.cores, queue: config.queue.backend }, 'worker started');
  let down: Promise<void> | null = null;
  return {
    url,
    loop,
    queue,
    webhooks,
    brewery,
    sessionStates: () => states,
    warmStats: () => recorder.warmStats(),
    shutdown(graceMs = config.worker.drainGraceSec * 1000) {
      down ??= (async () => {
        // Every step runs even when one before it fails; the first failure is reported at the end.
        const failures: unknown[] = [];
        const step = async (run: () => Promise<unknown>): Promise<void> => {
          try {
            await run();
          } catch (err) {
            failures.push(err);
            logger.error({ err }, 'a shutdown step failed; going on');
          }
        };
        await step(() => loop.drain(graceMs));
        await step(() => recorder.close());
        await step(() => brewery?.close() ?? Promise.resolve());
        // The last sessions' events: a short chance to deliver now; the rest wait in the outbox for the next start.
        await step(() => webhooks?.flush(AbortSignal.timeout(5_000)) ?? Promise.resolve());
        sending.abort();
        await step(() => retention);
        await step(() => webhooks?.close() ?? Promise.resolve());
        await step(() => http.close());
        await step(() => queue.close());
        if (failures.length > 0) throw failures[0];
      })();
      return down;
    },
  };
}
