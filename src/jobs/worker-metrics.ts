/** Prometheus metrics of a worker (prom-client): sessions, capacity, jobs by outcome, queue wait. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CapacityReport } from '../domain/admission.ts';
import type { JobKind } from '../domain/job-request.ts';
import type { SessionState } from '../domain/session-state.ts';
import type { JobOutcome } from './job-processor.ts';
import type { QueueCounts } from '../queue/job-queue.ts';

export interface WorkerMetrics {
  readonly registry: Registry;
  jobStarted(jobId: string, kinds: readonly JobKind[], waitMs: number): void;
  /** The session's lifecycle state (starting, running, stopping…), for scriba_sessions{state}. */
  sessionState(jobId: string, state: SessionState['status']): void;
  jobEnded(jobId: string, kinds: readonly JobKind[], outcome: JobOutcome): void;
  uploaded(outcome: 'uploaded' | 'failed', bytes: number): void;
  /** One artifact deleted by retention: a stored object, a local session directory, incomplete uploads. */
  retentionDeleted(kind: 'object' | 'local' | 'incomplete_uploads'): void;
  /** scriba_queue_jobs{status}: the shared queue's depth, read at scrape time from `counts`. */
  watchQueue(counts: () => Promise<QueueCounts>): void;
}

/** Pure: the outcome label of a finished job. */
export function outcomeLabels(outcome: JobOutcome): { outcome: 'succeeded' | 'failed' | 'lost'; reason: string } {
  switch (outcome.kind) {
    case 'completed':
      return { outcome: 'succeeded', reason: outcome.result.reason };
    case 'failed':
      return { outcome: 'failed', reason: outcome.retryable ? 'retryable' : 'final' };
    case 'recovered':
      return { outcome: 'succeeded', reason: 'recovered_upload' };
    case 'lost':
      return { outcome: 'lost', reason: 'lease_lost' };
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

export function createWorkerMetrics(capacity: () => CapacityReport): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'scriba_process_' });
  const kindLabel = (kinds: readonly JobKind[]) => [...kinds].sort().join('+');
  // Set from the live table at scrape time, so a session is counted once, in its current state.
  const live = new Map<string, { kind: string; state: SessionState['status'] }>();
  let queueCounts: (() => Promise<QueueCounts>) | null = null;
  new Gauge({
    name: 'scriba_queue_jobs',
    help: 'Jobs in the shared queue by status (queued is the depth autoscaling and alerts watch)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      if (queueCounts === null) return;
      try {
        const c = await queueCounts();
        this.set({ status: 'queued' }, c.queued);
        this.set({ status: 'active' }, c.active);
      } catch {
        // An unreachable queue shows as a gap in the series, not a scrape failure.
      }
    },
  });
  new Gauge({
    name: 'scriba_sessions',
    help: 'Sessions on this worker, by output kinds and lifecycle state (starting, running, stopping)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, state } of live.values()) this.inc({ kind, state });
    },
  });
  new Gauge({
    name: 'scriba_capacity_cores',
    help: 'Admission budget in CPU cores, by state (used, free)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = capacity();
      this.set({ state: 'used' }, c.usedCores);
      this.set({ state: 'free' }, c.freeCores);
    },
  });
  const started = new Counter({
    name: 'scriba_jobs_started_total',
    help: 'Jobs claimed and started',
    labelNames: ['kind'],
    registers: [registry],
  });
  const ended = new Counter({
    name: 'scriba_jobs_ended_total',
    help: 'Jobs ended, by outcome (succeeded, failed, lost) and reason',
    labelNames: ['kind', 'outcome', 'reason'],
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'scriba_queue_wait_seconds',
    help: 'Time from enqueue to a worker starting the job',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  const uploads = new Counter({
    name: 'scriba_uploads_total',
    help: 'Recordings uploaded and verified, or given up',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const uploadBytes = new Counter({ name: 'scriba_upload_bytes_total', help: 'Bytes of verified uploads', registers: [registry] });
  const deletions = new Counter({
    name: 'scriba_retention_deletions_total',
    help: 'Artifacts deleted by the retention sweeper, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    registry,
    uploaded(outcome, bytes) {
      uploads.inc({ outcome });
      if (bytes > 0) uploadBytes.inc(bytes);
    },
    retentionDeleted(kind) {
      deletions.inc({ kind });
    },
    jobStarted(jobId, kinds, waitMs) {
      const kind = kindLabel(kinds);
      started.inc({ kind });
      live.set(jobId, { kind, state: 'starting' });
      wait.observe(waitMs / 1000);
    },
    sessionState(jobId, state) {
      const entry = live.get(jobId);
      if (entry) entry.state = state;
    },
    jobEnded(jobId, kinds, outcome) {
      live.delete(jobId);
      ended.inc({ kind: kindLabel(kinds), ...outcomeLabels(outcome) });
    },
    watchQueue(counts) {
      queueCounts = counts;
    },
  };
}
