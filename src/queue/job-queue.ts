/**
 * The job queue: one interface, implemented by the embedded durable queue (node:sqlite, the default) and by
 * BullMQ on Redis (many workers and pods). One conformance suite (test/conformance/job-queue.suite.ts) runs
 * against every implementation.
 *
 * Guarantees: a job is never lost and never runs twice at the same time. A claim holds a lease that the
 * worker renews; a worker that dies stops renewing, its lease expires and the job becomes claimable again
 * (attempt + 1), up to maxAttempts. A stop request reaches whichever worker holds the job.
 */

export type JobStatus = 'queued' | 'active' | 'completed' | 'failed';

export interface JobRecord<T> {
  readonly id: string;
  readonly data: T;
  readonly status: JobStatus;
  /** Claims so far (1 on the first run). */
  readonly attempts: number;
  readonly enqueuedAtMs: number;
  readonly stopRequested: boolean;
  readonly result: unknown;
  readonly error: { readonly message: string; readonly retryable: boolean } | null;
}

export interface ClaimedJob<T> {
  readonly id: string;
  readonly data: T;
  readonly attempts: number;
  readonly enqueuedAtMs: number;
  /** Identifies this claim; completing or failing with a stale token is refused (the lease was lost). */
  readonly token: string;
  /** The last checkpoint an earlier attempt saved (saveCheckpoint), e.g. an upload to salvage; null: none. */
  readonly checkpoint: unknown;
}

export interface EnqueueOptions {
  /** Idempotency: enqueueing the same id twice keeps the first job (and checks nothing else). */
  readonly jobId?: string;
  /** Labels to find the job by later with list(), e.g. `room:<tenant>/<room>`. */
  readonly tags?: readonly string[];
  /**
   * Keys no other queued or active job may hold at the same time, e.g. `room:<tenant>/<room>:file` (one session
   * per room and mode, like Jicofo). A clash throws ExclusiveKeyConflict and enqueues nothing; a key is free
   * again as soon as its job completes or fails.
   */
  readonly exclusiveKeys?: readonly string[];
}

/** enqueue() refused: another job that is still queued or active holds one of the exclusive keys. */
export class ExclusiveKeyConflict extends Error {
  override name = 'ExclusiveKeyConflict';
  readonly key: string;
  readonly holderId: string;
  constructor(key: string, holderId: string) {
    super(`job ${holderId} already holds ${key}`);
    this.key = key;
    this.holderId = holderId;
  }
}

/** enqueueClaimed(): the job runs on this worker from the start (see there). */
export interface EnqueueClaimedOptions extends EnqueueOptions {
  readonly workerId: string;
}

/** enqueueClaimed() refused: a job with this id exists already. */
export class JobIdTaken extends Error {
  override name = 'JobIdTaken';
  constructor(id: string) {
    super(`a job with id ${id} exists already`);
  }
}

export interface ListOptions {
  readonly tag: string;
  /** Newest first; at most this many (default 50). */
  readonly limit?: number;
}

export interface ClaimOptions<T = unknown> {
  readonly workerId: string;
  /** Waiting for a job ends (with null) when this aborts. */
  readonly signal: AbortSignal;
  /**
   * Whether this claimer can take the oldest claimable job now (e.g. its price fits the worker's free CPU).
   * When it says no, that job stays queued, for this claimer's next look or another worker; jobs behind it
   * are not handed out past it (first in, first out, so a dear job is not starved by cheap ones).
   */
  readonly admit?: (data: T) => boolean;
}

export interface QueueCounts {
  readonly queued: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
}

export interface JobQueue<T> {
  enqueue(data: T, options?: EnqueueOptions): Promise<string>;
  /**
   * Enqueues a job that is claimed by `workerId` at once, for work that must run on one particular worker (a
   * brewery session runs where its XMPP occupant received the start). It is listed, holds its exclusive keys
   * and is renewed, completed or failed like a claimed job; if that worker dies, its lease expires and it is
   * recovered like any other. Throws ExclusiveKeyConflict as enqueue() does, and JobIdTaken for an existing id.
   */
  enqueueClaimed(data: T, options: EnqueueClaimedOptions): Promise<ClaimedJob<T>>;
  /** Waits until a job can be claimed (oldest first) or the signal aborts (→ null). */
  claim(options: ClaimOptions<T>): Promise<ClaimedJob<T> | null>;
  /** Extends the claim's lease; false when the lease was already lost (another worker may have the job). */
  renew(jobId: string, token: string): Promise<boolean>;
  /**
   * Records what a successor needs to continue this job if this worker dies (JSON, no secrets), replacing
   * the previous checkpoint. Only the current lease holder may: false when the token is stale.
   */
  saveCheckpoint(jobId: string, token: string, checkpoint: unknown): Promise<boolean>;
  /** false when the token is stale (the job was recovered elsewhere): the caller must not report it. */
  complete(jobId: string, token: string, result: unknown): Promise<boolean>;
  /** retryable and attempts left → queued again; otherwise failed. false when the token is stale. */
  fail(jobId: string, token: string, error: { message: string; retryable: boolean }): Promise<boolean>;
  /** Marks the job so that whichever worker holds it stops it; a queued job is failed at once. */
  requestStop(jobId: string): Promise<boolean>;
  /** Calls back when a stop is requested for a job this process holds (polled or pushed). Returns unsubscribe. */
  onStopRequested(jobId: string, listener: () => void): () => void;
  get(jobId: string): Promise<JobRecord<T> | null>;
  /** Jobs enqueued with this tag, newest first. */
  list(options: ListOptions): Promise<JobRecord<T>[]>;
  /** Jobs enqueued with this tag that are queued or active (per-caller admission caps); reads no job data. */
  countOpen(tag: string): Promise<number>;
  counts(): Promise<QueueCounts>;
  close(): Promise<void>;
}

export interface QueueTiming {
  /** How long a claim lasts without renewal. */
  readonly leaseMs: number;
  /**
   * How often waiting claimers and stop-request listeners look again. A claimer is also woken as soon as a
   * job is enqueued (an in-process wake plus a cross-process one: a notify file next to the embedded queue's
   * file, BullMQ's marker key on Redis), so this is the fallback, not the pick-up delay.
   */
  readonly pollMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_QUEUE_TIMING: QueueTiming = { leaseMs: 30_000, pollMs: 500, maxAttempts: 3 };
