/** Prometheus metrics of a worker (prom-client): sessions, capacity, jobs by outcome, queue wait. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CapacityReport } from '../domain/admission.ts';
import type { JobKind } from '../domain/job-request.ts';
import type { JobOutcome } from './job-processor.ts';

export interface WorkerMetrics {
  readonly registry: Registry;
  jobStarted(kinds: readonly JobKind[], waitMs: number): void;
  jobEnded(kinds: readonly JobKind[], outcome: JobOutcome): void;
}

/** Pure: the outcome label of a finished job. */
export function outcomeLabels(outcome: JobOutcome): { outcome: 'succeeded' | 'failed' | 'lost'; reason: string } {
  switch (outcome.kind) {
    case 'completed':
      return { outcome: 'succeeded', reason: outcome.result.reason };
    case 'failed':
      return { outcome: 'failed', reason: outcome.retryable ? 'retryable' : 'final' };
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
  const sessions = new Gauge({ name: 'scriba_sessions', help: 'Sessions running, by output kinds', labelNames: ['kind'], registers: [registry] });
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
  const started = new Counter({ name: 'scriba_jobs_started_total', help: 'Jobs claimed and started', labelNames: ['kind'], registers: [registry] });
  const ended = new Counter({ name: 'scriba_jobs_ended_total', help: 'Jobs ended, by outcome (succeeded, failed, lost) and reason', labelNames: ['kind', 'outcome', 'reason'], registers: [registry] });
  const wait = new Histogram({
    name: 'scriba_queue_wait_seconds',
    help: 'Time from enqueue to a worker starting the job',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  return {
    registry,
    jobStarted(kinds, waitMs) {
      const kind = kindLabel(kinds);
      started.inc({ kind });
      sessions.inc({ kind });
      wait.observe(waitMs / 1000);
    },
    jobEnded(kinds, outcome) {
      const kind = kindLabel(kinds);
      sessions.dec({ kind });
      ended.inc({ kind, ...outcomeLabels(outcome) });
    },
  };
}
