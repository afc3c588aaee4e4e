/**
 * The JobQueue on Redis through BullMQ: many worker processes and pods share one queue.
 *
 * Mapping (see job-queue.ts and lease.ts for the semantics):
 * - claim: a BullMQ Worker without a processor; `getNextJob(token, { block: false })`, lockDuration = leaseMs,
 *   token = the BullMQ lock token. Between tries a claimer waits for BullMQ's marker (redis-wake.ts: a job
 *   became claimable) or pollMs, whichever is first. With `admit`, the head of the wait list is priced before
 *   it is taken; one taken in a race with another worker that does not fit goes back to the head unchanged
 *   (RELEASE_CLAIM_LUA: same place, attempt count restored).
 * - renew: `extendLock` (also removes the job from BullMQ's stalled set); complete / fail: `moveToCompleted` /
 *   `moveToFailed` with the token; BullMQ's "Missing lock" / "Lock mismatch" / "not in the active state" → false.
 * - lease loss: BullMQ's stalled check (every pollMs, run by every instance, de-duplicated in Redis) moves a
 *   job whose lock expired back to wait; its next claim counts as attempt + 1 (BullMQ's attemptsStarted).
 *   A job that used all its attempts, or whose stop was requested, is failed instead: right after the stall
 *   (our 'stalled' handler) or, if that process died, by the next claimer.
 * - fail: lease.ts's statusAfterFail decides; retry → a plain Error (BullMQ retries at once, no backoff);
 *   final → UnrecoverableError.
 * - stop: a `scribaStop` field in the job's hash, polled by onStopRequested; a waiting job is failed at once by
 *   a small Lua script (BullMQ has no "fail a waiting job").
 */
import { randomUUID } from 'node:crypto';
import { ScribaError } from '../domain/errors.ts';
import { Job, Queue, UnrecoverableError, Worker, createIORedisClient, type IRedisClient } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type {
  ClaimedJob,
  ClaimOptions,
  EnqueueClaimedOptions,
  EnqueueOptions,
  JobQueue,
  JobRecord,
  JobStatus,
  ListOptions,
  QueueCounts,
  QueueTiming,
} from './job-queue.ts';
import { pause } from '../lib/abort.ts';
import { DEFAULT_QUEUE_TIMING, ExclusiveKeyConflict, JobIdTaken } from './job-queue.ts';
import { lostJobError, STOPPED_BEFORE_START_ERROR, STOPPED_LOST_ERROR, statusAfterFail, type JobError } from './lease.ts';
import { createRedisWake } from './redis-wake.ts';

export type BullmqConnection = { readonly url: string } | RedisOptions;

export interface BullmqQueueOptions {
  readonly connection: BullmqConnection;
  readonly queueName: string;
  /** BullMQ key prefix (default "bull"). */
  readonly prefix?: string;
  readonly timing?: Partial<QueueTiming>;
  /** Wake waiting claimers on BullMQ's marker when a job becomes claimable (default true); false: poll only. */
  readonly wakeOnEnqueue?: boolean;
}

const STOP_FIELD = 'scribaStop';
const RETRYABLE_FIELD = 'scribaRetryable';
const BULLMQ_STALLED_REASON = 'job stalled more than allowable limit';

/**
 * Fails a job that is waiting (not active), or, in 'stop' mode, flags an active one.
 * KEYS: job, wait, paused, prioritized, delayed, failed, events, active
 * ARGV: jobId, nowMs, message, mode ('stop' | 'sweep'), maxAttempts
 * Returns 1 (failed), 2 (flagged active), 0 (nothing: missing, finished, or in 'sweep' mode still runnable).
 */
const FAIL_WAITING_LUA = `
local jobKey, id = KEYS[1], ARGV[1]
if redis.call('EXISTS', jobKey) == 0 then return 0 end
local stop = ARGV[4] == 'stop'
if not stop then
  local ats = tonumber(redis.call('HGET', jobKey, 'ats') or '0')
  if ats < tonumber(ARGV[5]) and redis.call('HGET', jobKey, '${STOP_FIELD}') ~= '1' then return 0 end
end
local removed = redis.call('LREM', KEYS[2], 0, id) + redis.call('LREM', KEYS[3], 0, id)
  + redis.call('ZREM', KEYS[4], id) + redis.call('ZREM', KEYS[5], id)
if removed > 0 then
  redis.call('ZADD', KEYS[6], ARGV[2], id)
  redis.call('HSET', jobKey, 'failedReason', ARGV[3], 'finishedOn', ARGV[2], '${RETRYABLE_FIELD}', '0')
  if stop then redis.call('HSET', jobKey, '${STOP_FIELD}', '1') end
  redis.call('XADD', KEYS[7], '*', 'event', 'failed', 'jobId', id, 'failedReason', ARGV[3], 'prev', 'waiting')
  return 1
end
if stop and redis.call('LPOS', KEYS[8], id) then
  redis.call('HSET', jobKey, '${STOP_FIELD}', '1')
  return 2
end
return 0
`;
const FAIL_WAITING_CMD = 'scribaFailWaiting';

/**
 * Moves a job parked in the delayed set (enqueueClaimed adds it with a delay no claimer reaches) straight to
 * active with a lock, as BullMQ's own moveToActive prepares a job: lock key, processedOn, processedBy, ats + 1.
 * KEYS: delayed, active, job, events. ARGV: jobId, token, lockMs, nowMs, workerId. Returns 1, or 0 if not parked.
 */
const CLAIM_PARKED_LUA = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3] .. ':lock', ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[3], 'processedOn', ARGV[4], 'pb', ARGV[5])
redis.call('HINCRBY', KEYS[3], 'ats', 1)
redis.call('XADD', KEYS[4], '*', 'event', 'active', 'jobId', ARGV[1], 'prev', 'delayed')
return 1
`;
/**
 * Hands a claimed job back untouched (admission refused it): drops the lock, returns it to the head of the
 * wait list (where BullMQ's next claim takes it) and undoes the claim's attempt count, then leaves a marker
 * so another waiting worker looks. KEYS: lock, active, wait, stalled, job, events, marker. ARGV: jobId,
 * token. Returns 1, or 0 when the lock is no longer this token's.
 */
const RELEASE_CLAIM_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HINCRBY', KEYS[5], 'ats', -1)
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[7], 0, '0')
redis.call('XADD', KEYS[6], '*', 'event', 'waiting', 'jobId', ARGV[1], 'prev', 'active')
return 1
`;
/** Far enough ahead that no claimer ever promotes a parked job (about 24 days, below BullMQ's delay limit). */
const PARKED_DELAY_MS = 2 ** 31 - 1;

/** Deletes KEYS[1] only while it still holds ARGV[1] (a stale exclusive key, freed by whoever notices). */
const DELETE_IF_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/**
 * saveCheckpoint: writes the checkpoint only while the job's BullMQ lock holds this claim's token, atomically.
 * KEYS: the job's lock key, the checkpoint key. ARGV: token, checkpoint JSON, expiry (s). Returns 1, or 0.
 */
const SAVE_IF_LOCKED_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3])) return 1 end return 0`;
/**
 * countOpen: counts the members of a tag's open set (ids added on enqueue) whose job is still queued or active,
 * and drops the rest (finished, or removed), so the set stays about as small as the tag's open jobs.
 * KEYS: the open set, completed, failed. ARGV: the job key prefix. Returns the count.
 */
const COUNT_OPEN_LUA = `
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 or redis.call('ZSCORE', KEYS[2], id) or redis.call('ZSCORE', KEYS[3], id) then
    redis.call('ZREM', KEYS[1], id)
  else
    n = n + 1
  end
end
return n
`;
/** Checkpoints outlive any recording whose job could still be recovered (a week, like the longest link). */
const CHECKPOINT_TTL_SEC = 7 * 24 * 3600;
/** A holder id that names no job yet may be an enqueue in progress: only this old is it treated as stale. */
const MISSING_HOLDER_GRACE_MS = 30_000;

function isLockError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code < 0;
}

function isConnectionError(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | null;
  return (
    (typeof e?.message === 'string' && /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE/.test(e.message)) ||
    (typeof e?.code === 'string' && /^E(CONNREFUSED|CONNRESET|PIPE)$/.test(e.code))
  );
}

function toStatus(state: string): JobStatus | null {
  switch (state) {
    case 'waiting':
    case 'paused':
    case 'delayed':
    case 'prioritized':
    case 'waiting-children':
      return 'queued';
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}

/**
 * BullMQ refuses custom job ids that look like integers or contain ':', and our ids (session ids) may be all
 * digits. Every id is stored with a fixed prefix, and jobs enqueued without an id get a UUID, so the mapping
 * is one-to-one both ways.
 */
const ID_PREFIX = 'j_';
const toBullId = (id: string): string => `${ID_PREFIX}${id}`;
const fromBullId = (id: string): string => (id.startsWith(ID_PREFIX) ? id.slice(ID_PREFIX.length) : id);

export function createBullmqQueue<T>(opts: BullmqQueueOptions): JobQueue<T> {
  const timing: QueueTiming = { ...DEFAULT_QUEUE_TIMING, ...(opts.timing ?? {}) };
  // ioredis, as BullMQ expects: no per-command retry limit (blocking reads), reconnects by itself.
  const base: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false };
  // One client for commands, shared by the Queue and the Worker (which duplicates it for its blocking reads).
  const conn = opts.connection;
  // ioredis's constructor overloads do not resolve under exactOptionalPropertyTypes; these two are its own.
  const RedisClient = Redis as unknown as { new (url: string, o: RedisOptions): Redis; new (o: RedisOptions): Redis };
  const raw =
    'url' in conn && typeof conn.url === 'string'
      ? new RedisClient(conn.url, base)
      : new RedisClient({ ...base, ...(conn as RedisOptions) });
  const redis = createIORedisClient(raw);
  redis.on('error', () => undefined); // reconnects by itself; operations report their own errors
  const prefix = opts.prefix ?? 'bull';
  const queue = new Queue(opts.queueName, { connection: redis, prefix });
  const worker = new Worker(opts.queueName, null, {
    connection: redis,
    prefix,
    autorun: false,
    lockDuration: timing.leaseMs,
    stalledInterval: Math.max(timing.pollMs, 10),
    // Our own sweep fails a job that used up its attempts; BullMQ's limit is only a backstop.
    maxStalledCount: timing.maxAttempts,
  });
  worker.on('error', () => undefined);
  queue.on('error', () => undefined);
  const closing = new AbortController();
  const wake = opts.wakeOnEnqueue === false ? null : createRedisWake(raw, queue.keys['marker']!);
  const stopPollers = new Set<() => void>();
  redis.defineCommand(FAIL_WAITING_CMD, { numberOfKeys: 8, lua: FAIL_WAITING_LUA });
  const scribaKey = (kind: 'tag' | 'open' | 'excl' | 'ckpt', name: string): string => `${queue.keys['']}scriba:${kind}:${name}`;
  /** Lists the job under each tag (list) and counts it open under each (countOpen) until it finishes. */
  const indexTags = async (tags: readonly string[] | undefined, timestamp: number, bullId: string): Promise<void> => {
    for (const tag of tags ?? []) {
      await raw.zadd(scribaKey('tag', tag), timestamp, bullId);
      await raw.zadd(scribaKey('open', tag), timestamp, bullId);
    }
  };
  const savedCheckpoint = async (jobId: string): Promise<unknown> => {
    const json = await raw.get(scribaKey('ckpt', jobId));
    return json === null ? null : (JSON.parse(json) as unknown);
  };

  /**
   * Takes every exclusive key for jobId (SET NX), freeing keys whose holder has finished or vanished. On a
   * clash, releases what it took and throws ExclusiveKeyConflict.
   */
  async function takeExclusiveKeys(jobId: string, keys: readonly string[]): Promise<() => Promise<void>> {
    const value = `${jobId}|${Date.now()}`;
    const taken: string[] = [];
    const release = async (): Promise<void> => {
      for (const k of taken) await raw.eval(DELETE_IF_LUA, 1, k, value).catch(() => undefined);
    };
    try {
      for (const key of keys) {
        const k = scribaKey('excl', key);
        for (let tries = 0; ; tries++) {
          if ((await raw.set(k, value, 'NX')) === 'OK') {
            taken.push(k);
            break;
          }
          const holder = await raw.get(k);
          if (holder === null) continue; // freed in between: try again
          const [holderId = '', since = '0'] = holder.split('|');
          const job = await Job.fromId<T>(queue, holderId);
          const state = job === undefined ? null : toStatus(await job.getState());
          const stale =
            job === undefined ? Date.now() - Number(since) > MISSING_HOLDER_GRACE_MS : state === 'completed' || state === 'failed';
          if (!stale || tries >= 3) throw new ExclusiveKeyConflict(key, fromBullId(holderId));
          await raw.eval(DELETE_IF_LUA, 1, k, holder);
        }
      }
    } catch (err) {
      await release();
      throw err;
    }
    return release;
  }
  async function failWaiting(jobId: string, error: JobError, mode: 'stop' | 'sweep'): Promise<number> {
    const c: IRedisClient = redis;
    const k = queue.keys;
    return Number(
      // One flat list, keys first, as BullMQ's own scripts are called.
      await c.runCommand(FAIL_WAITING_CMD, [
        queue.toKey(jobId),
        k.wait!,
        k.paused!,
        k.prioritized!,
        k.delayed!,
        k.failed!,
        k.events!,
        k.active!,
        jobId,
        Date.now(),
        error.message,
        mode,
        timing.maxAttempts,
      ]),
    );
  }

  async function flags(jobId: string): Promise<{ stop: boolean; retryable: boolean }> {
    const c: IRedisClient = redis;
    const [stop, retryable] = await c.hmget(queue.toKey(jobId), STOP_FIELD, RETRYABLE_FIELD);
    return { stop: stop === '1', retryable: retryable === '1' };
  }

  /** A job just moved back to wait after losing its lease: fail it when it has no attempts left or was stopped. */
  async function sweepStalled(jobId: string): Promise<void> {
    const job = await Job.fromId<T>(queue, jobId);
    if (job === undefined) return;
    const { stop } = await flags(jobId);
    if (!stop && job.attemptsStarted < timing.maxAttempts) return;
    await failWaiting(jobId, stop ? STOPPED_LOST_ERROR : lostJobError(job.attemptsStarted), 'sweep');
  }
  worker.on('stalled', (jobId: string) => {
    sweepStalled(jobId).catch(() => undefined);
  });
  const stalledChecks = worker.startStalledCheckTimer().catch(() => undefined);

  async function finalFail(job: Job<T>, token: string, error: JobError): Promise<void> {
    try {
      await job.moveToFailed(new UnrecoverableError(error.message), token, false);
      const c: IRedisClient = redis;
      await c.hset(queue.toKey(job.id!), { [RETRYABLE_FIELD]: '0' });
    } catch (err) {
      if (!isLockError(err)) throw err;
    }
  }

  /** The claimed job may have used up its attempts (lost too often) or been stopped: fail it instead. */
  async function vetClaim(job: Job<T>, token: string): Promise<boolean> {
    const { stop } = await flags(job.id!);
    if (stop) {
      await finalFail(job, token, STOPPED_LOST_ERROR);
      return false;
    }
    if (job.deferredFailure !== undefined || job.attemptsStarted > timing.maxAttempts) {
      await finalFail(job, token, lostJobError(Math.max(job.attemptsStarted - 1, 1)));
      return false;
    }
    return true;
  }

  /** Whether `admit` takes the job a claim would get next (the head of the wait list); true when there is none. */
  async function headAdmitted(admit: (data: T) => boolean): Promise<boolean> {
    const head = await raw.lindex(queue.keys['wait']!, -1);
    if (head === null) return true;
    const json = await raw.hget(queue.toKey(head), 'data');
    return json === null || admit(JSON.parse(json) as T);
  }

  async function releaseClaim(jobId: string, token: string): Promise<void> {
    const k = queue.keys;
    const lock = `${queue.toKey(jobId)}:lock`;
    await raw.eval(
      RELEASE_CLAIM_LUA,
      7,
      lock,
      k['active']!,
      k['wait']!,
      k['stalled']!,
      queue.toKey(jobId),
      k['events']!,
      k['marker']!,
      jobId,
      token,
    );
  }

  let closed: Promise<void> | null = null;

  const self: JobQueue<T> = {
    async enqueue(data, options?: EnqueueOptions) {
      const jobId = toBullId(options?.jobId ?? randomUUID());
      if (options?.jobId !== undefined && (await Job.fromId<T>(queue, jobId)) !== undefined) return options.jobId; // idempotent
      const release = await takeExclusiveKeys(jobId, options?.exclusiveKeys ?? []);
      let job: Job<T>;
      try {
        job = await queue.add('job', data, { jobId, attempts: timing.maxAttempts, removeOnComplete: false, removeOnFail: false });
      } catch (err) {
        await release();
        throw err;
      }
      if (job.id === undefined) throw new Error('BullMQ returned a job without an id');
      await indexTags(options?.tags, job.timestamp, job.id);
      return fromBullId(job.id);
    },

    async enqueueClaimed(data, options: EnqueueClaimedOptions): Promise<ClaimedJob<T>> {
      const publicId = options.jobId ?? randomUUID();
      const jobId = toBullId(publicId);
      if ((await Job.fromId<T>(queue, jobId)) !== undefined) throw new JobIdTaken(publicId);
      const release = await takeExclusiveKeys(jobId, options.exclusiveKeys ?? []);
      const token = `${options.workerId}:${randomUUID()}`;
      let job: Job<T>;
      try {
        job = await queue.add('job', data, {
          jobId,
          attempts: timing.maxAttempts,
          removeOnComplete: false,
          removeOnFail: false,
          delay: PARKED_DELAY_MS,
        });
        const k = queue.keys;
        const moved = await raw.eval(
          CLAIM_PARKED_LUA,
          4,
          k.delayed!,
          k.active!,
          queue.toKey(jobId),
          k.events!,
          jobId,
          token,
          timing.leaseMs,
          Date.now(),
          options.workerId,
        );
        if (Number(moved) !== 1) throw new Error(`job ${publicId} could not be claimed after enqueueing`);
      } catch (err) {
        await release();
        throw err;
      }
      await indexTags(options.tags, job.timestamp, jobId);
      return { id: publicId, data, attempts: 1, enqueuedAtMs: job.timestamp, token, checkpoint: null };
    },

    async claim({ workerId, signal, admit }: ClaimOptions<T>): Promise<ClaimedJob<T> | null> {
      const stopped = AbortSignal.any([signal, closing.signal]);
      while (!signal.aborted && !closing.signal.aborted) {
        const token = `${workerId}:${randomUUID()}`;
        let job: Job<T> | undefined;
        try {
          if (admit === undefined || (await headAdmitted(admit))) {
            job = (await worker.getNextJob(token, { block: false })) as Job<T> | undefined;
          }
        } catch (err) {
          if (signal.aborted || closing.signal.aborted) return null;
          if (!isConnectionError(err)) throw err;
          // Redis unreachable (restart, failover): keep waiting, like a claimer with nothing to claim.
        }
        if (job !== undefined && job.id !== undefined) {
          if (!(await vetClaim(job, token))) continue;
          if (admit !== undefined && !admit(job.data)) {
            // Another worker took the head we priced; this one does not fit: back to the head, untouched.
            await releaseClaim(job.id, token);
            job = undefined;
          }
        }
        if (job !== undefined && job.id !== undefined) {
          return {
            id: fromBullId(job.id),
            data: job.data,
            attempts: job.attemptsStarted,
            enqueuedAtMs: job.timestamp,
            token,
            checkpoint: await savedCheckpoint(job.id),
          };
        }
        await (wake === null ? pause(timing.pollMs, stopped) : wake.wait(timing.pollMs, signal));
      }
      return null;
    },

    async renew(publicId, token) {
      const jobId = toBullId(publicId);
      const job = await Job.fromId<T>(queue, jobId);
      if (job === undefined) return false;
      return Number(await job.extendLock(token, timing.leaseMs)) === 1;
    },

    async saveCheckpoint(publicId, token, checkpoint) {
      const jobId = toBullId(publicId);
      const json = JSON.stringify(checkpoint);
      if (json === undefined) throw new ScribaError('invalid_request', 'checkpoint is not JSON-serializable');
      const saved = await raw.eval(
        SAVE_IF_LOCKED_LUA,
        2,
        `${queue.toKey(jobId)}:lock`,
        scribaKey('ckpt', jobId),
        token,
        json,
        CHECKPOINT_TTL_SEC,
      );
      return Number(saved) === 1;
    },

    async complete(publicId, token, result) {
      const jobId = toBullId(publicId);
      const job = await Job.fromId<T>(queue, jobId);
      if (job === undefined) return false;
      try {
        await job.moveToCompleted(result, token, false);
        return true;
      } catch (err) {
        if (isLockError(err)) return false;
        throw err;
      }
    },

    async fail(publicId, token, error) {
      const jobId = toBullId(publicId);
      const job = await Job.fromId<T>(queue, jobId);
      if (job === undefined) return false;
      const { stop } = await flags(jobId);
      const next = statusAfterFail({ attempts: job.attemptsStarted, stopRequested: stop, retryable: error.retryable }, timing.maxAttempts);
      const err = next === 'queued' ? new Error(error.message) : new UnrecoverableError(error.message);
      try {
        await job.moveToFailed(err, token, false);
      } catch (e) {
        if (isLockError(e)) return false;
        throw e;
      }
      const c: IRedisClient = redis;
      await c.hset(queue.toKey(jobId), { [RETRYABLE_FIELD]: error.retryable ? '1' : '0' });
      return true;
    },

    async requestStop(publicId) {
      const jobId = toBullId(publicId);
      return (await failWaiting(jobId, STOPPED_BEFORE_START_ERROR, 'stop')) > 0;
    },

    onStopRequested(publicId, listener) {
      const jobId = toBullId(publicId);
      let active = true;
      const stop = (): void => {
        active = false;
        stopPollers.delete(stop);
      };
      stopPollers.add(stop);
      void (async () => {
        while (active && !closing.signal.aborted) {
          try {
            if ((await flags(jobId)).stop) {
              if (active) {
                stop();
                listener();
              }
              return;
            }
          } catch {
            // connection trouble: look again next time
          }
          await pause(timing.pollMs, closing.signal);
        }
      })();
      return stop;
    },

    async get(publicId): Promise<JobRecord<T> | null> {
      const jobId = toBullId(publicId);
      // The state first: a job seen failed then has its reason in the hash read next (one script writes both).
      const status = toStatus(await queue.getJobState(jobId));
      if (status === null) return null;
      const job = await Job.fromId<T>(queue, jobId);
      if (job === undefined) return null;
      const { stop, retryable } = await flags(jobId);
      const reason = job.failedReason as string | undefined | null;
      const message =
        reason === BULLMQ_STALLED_REASON || (reason == null && job.deferredFailure !== undefined)
          ? lostJobError(job.attemptsStarted).message
          : reason;
      return {
        id: publicId,
        data: job.data,
        status,
        attempts: job.attemptsStarted,
        enqueuedAtMs: job.timestamp,
        stopRequested: stop,
        result: status === 'completed' ? (job.returnvalue ?? null) : null,
        error: message == null || message === '' || status === 'completed' ? null : { message, retryable },
      };
    },

    async list({ tag, limit = 50 }: ListOptions): Promise<JobRecord<T>[]> {
      const ids = await raw.zrevrange(scribaKey('tag', tag), 0, Math.max(1, Math.min(limit, 1000)) - 1);
      const records = await Promise.all(ids.map((id) => self.get(fromBullId(id))));
      return records.filter((r): r is JobRecord<T> => r !== null);
    },

    async countOpen(tag: string): Promise<number> {
      const k = queue.keys;
      return Number(await raw.eval(COUNT_OPEN_LUA, 3, scribaKey('open', tag), k.completed!, k.failed!, queue.toKey('')));
    },

    async counts(): Promise<QueueCounts> {
      const c = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'waiting-children', 'active', 'completed', 'failed');
      const n = (k: string): number => c[k] ?? 0;
      return {
        queued: n('waiting') + n('delayed') + n('prioritized') + n('waiting-children'),
        active: n('active'),
        completed: n('completed'),
        failed: n('failed'),
      };
    },

    close() {
      closed ??= (async () => {
        closing.abort();
        await wake?.close();
        for (const stop of [...stopPollers]) stop();
        const results = await Promise.allSettled([worker.close(), queue.close(), stalledChecks]);
        await raw.quit().catch(() => raw.disconnect());
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      })();
      return closed;
    },
  };
  return self;
}
