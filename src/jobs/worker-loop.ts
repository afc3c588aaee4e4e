/**
 * The worker: claims jobs while it has capacity (admission by CPU budget), runs each through the processor,
 * and drains on request: stop claiming at once, let running sessions finish for up to a grace period, then
 * stop them cleanly so their files are finalized.
 *
 * Admission prices the job it is about to claim (the queue asks `admit` about the oldest claimable job), not
 * the dearest kind there is: on a 2-core budget of 1.8 three file sessions (0.6) fit, and a stream (0.75)
 * starts only where 0.75 is free. A job that does not fit waits at the head of the queue for this worker's
 * capacity or another worker; nothing behind it overtakes it here.
 */
import { canAdmit, capacity, jobCost, type AdmissionBudget } from '../domain/admission.ts';
import { jobKinds, type JobKind, type JobRequest } from '../domain/job-request.ts';
import type { WorkerState } from '../domain/worker-status.ts';
import type { Logger } from '../log/logger.ts';
import { onAbort, pause, settlesWithin } from '../lib/abort.ts';
import type { ClaimedJob, JobQueue } from '../queue/job-queue.ts';
import type { JobOutcome } from './job-processor.ts';

/** Whether a job of these kinds fits next to the running sessions now. Pure. */
export function admitsJob(runningCosts: readonly number[], kinds: readonly JobKind[], budget: AdmissionBudget): boolean {
  return canAdmit(runningCosts, jobCost(kinds, budget), budget);
}

/** Full: not even one more session of the cheapest kind fits, so there is no point asking the queue. Pure. */
export function isFull(runningCosts: readonly number[], budget: AdmissionBudget): boolean {
  return !canAdmit(runningCosts, Math.min(...Object.values(budget.baseCost)), budget);
}

export interface WorkerLoopDeps {
  readonly queue: JobQueue<JobRequest>;
  readonly workerId: string;
  readonly budget: AdmissionBudget;
  readonly logger: Logger;
  /** Runs one claimed job to its end; the signal asks it to stop (drain). */
  process(job: ClaimedJob<JobRequest>, signal: AbortSignal): Promise<JobOutcome>;
  /** Called when a job starts and ends, for metrics. */
  onJobEvent?(
    event:
      | { readonly type: 'started'; readonly jobId: string; readonly kinds: readonly JobKind[]; readonly waitMs: number }
      | { readonly type: 'ended'; readonly jobId: string; readonly kinds: readonly JobKind[]; readonly outcome: JobOutcome },
  ): void;
  readonly now?: () => number;
}

interface Running {
  readonly cost: number;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export class WorkerLoop {
  readonly #deps: WorkerLoopDeps;
  readonly #running = new Map<string, Running>();
  /** Aborted when draining starts: ends the claim wait and the loop. */
  readonly #claiming = new AbortController();
  /** Resolves when a running job ends (wakes the loop when capacity frees). */
  #capacityFreed: () => void = () => {};
  /** Aborted when capacity frees during a claim wait, so the head of the queue is priced again at once. */
  #claimAttempt = new AbortController();
  #loop: Promise<void> | null = null;
  #drained: Promise<void> | null = null;
  #healthy = true;

  constructor(deps: WorkerLoopDeps) {
    this.#deps = deps;
  }

  #runningCosts(): number[] {
    return [...this.#running.values()].map((r) => r.cost);
  }

  /** The queue's `admit`: prices the job against what runs at the moment the queue asks. */
  readonly #admit = (data: JobRequest): boolean => {
    let kinds: JobKind[];
    try {
      kinds = jobKinds(data);
    } catch {
      return true; // malformed: take it, so the processor fails it with a reason instead of it blocking the queue
    }
    return admitsJob(this.#runningCosts(), kinds, this.#deps.budget);
  };

  state(): WorkerState {
    const costs = this.#runningCosts();
    return {
      draining: this.#claiming.signal.aborted,
      full: isFull(costs, this.#deps.budget),
      recorderFull: !canAdmit(costs, Math.max(this.#deps.budget.baseCost.file, this.#deps.budget.baseCost.stream), this.#deps.budget),
      activeSessions: costs.length,
      healthy: this.#healthy,
    };
  }

  capacity() {
    return capacity(
      [...this.#running.values()].map((r) => r.cost),
      this.#deps.budget,
    );
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const { queue, logger } = this.#deps;
    while (!this.#claiming.signal.aborted) {
      // Admission: when not even the cheapest kind fits, wait for a session to end before asking the queue.
      if (this.state().full) {
        await new Promise<void>((resolve) => {
          const stopListening = onAbort(this.#claiming.signal, resolve);
          this.#capacityFreed = () => {
            stopListening();
            resolve();
          };
        });
        continue;
      }
      let job;
      this.#claimAttempt = new AbortController();
      const signal = AbortSignal.any([this.#claiming.signal, this.#claimAttempt.signal]);
      try {
        job = await queue.claim({ workerId: this.#deps.workerId, signal, admit: this.#admit });
        this.#healthy = true;
      } catch (err) {
        this.#healthy = false;
        logger.error({ err }, 'claiming from the queue failed; retrying');
        await pause(1000, this.#claiming.signal);
        continue;
      }
      if (!job) continue;
      void this.#launch(job);
    }
  }

  /** Runs a claimed job to its end under this loop's accounting; resolves with its outcome (null: crashed) once its capacity is free. */
  #launch(job: ClaimedJob<JobRequest>): Promise<JobOutcome | null> {
    const { logger } = this.#deps;
    const now = this.#deps.now ?? Date.now;
    const kinds = jobKinds(job.data);
    const cost = jobCost(kinds, this.#deps.budget);
    const stop = new AbortController();
    this.#deps.onJobEvent?.({ type: 'started', jobId: job.id, kinds, waitMs: Math.max(0, now() - job.enqueuedAtMs) });
    logger.info({ jobId: job.id, cost }, 'job claimed');
    const outcome = this.#deps.process(job, stop.signal).then(
      (o) => {
        this.#deps.onJobEvent?.({ type: 'ended', jobId: job.id, kinds, outcome: o });
        return o;
      },
      (err: unknown) => {
        logger.error({ err, jobId: job.id }, 'job processing crashed');
        return null;
      },
    );
    const done = outcome
      .then(() => undefined)
      .finally(() => {
        this.#running.delete(job.id);
        this.#capacityFreed();
        this.#claimAttempt.abort();
      });
    this.#running.set(job.id, { cost, stop, done });
    // Resolves once the job's capacity is free again (callers may start the next session at once).
    return done.then(() => outcome);
  }

  /**
   * Runs a job claimed outside the loop (queue.enqueueClaimed: a brewery session pinned to this worker) with
   * the same processor, metrics, admission accounting and drain as the jobs the loop claims itself.
   */
  runClaimed(job: ClaimedJob<JobRequest>): Promise<JobOutcome | null> {
    return this.#launch(job);
  }

  /**
   * Drain: stop taking jobs now, give running sessions up to graceMs to end on their own, then ask them to
   * stop (their files are finished either way). Idempotent; resolves when every session has ended.
   */
  drain(graceMs: number): Promise<void> {
    this.#drained ??= (async () => {
      this.#claiming.abort();
      await this.#loop;
      const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
      await settlesWithin(all(), graceMs);
      for (const r of this.#running.values()) r.stop.abort();
      await all();
    })();
    return this.#drained;
  }
}
