/**
 * The worker's Jibri side: joins each configured brewery (src/xmpp) and runs the sessions Jicofo starts there
 * through the same queue, processor, admission, metrics and webhooks as API jobs. A brewery session must run
 * on the worker whose occupant received the start (Jicofo accepts status IQs only from that occupant JID), so
 * it is enqueued already claimed by this worker (queue.enqueueClaimed): listed by room and exclusive per room
 * and mode like any other session, but never handed to another worker while this one lives.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ScribaConfig } from '../config/config.ts';
import { xmppSettings } from '../config/xmpp-config.ts';
import type { AdmissionBudget } from '../domain/admission.ts';
import { jobKinds, type JobPolicy, type JobRequest } from '../domain/job-request.ts';
import { exclusiveKey, roomTag } from '../domain/session-keys.ts';
import type { Logger } from '../log/logger.ts';
import type { JobOutcome } from './job-processor.ts';
import { ExclusiveKeyConflict, type JobQueue } from '../queue/job-queue.ts';
import type { WorkerLoop } from './worker-loop.ts';
import { pause } from '../lib/abort.ts';
import { fundableSessions, slotCount } from '../xmpp/brewery-capacity.ts';
import { BreweryPool, type OccupantView } from '../xmpp/brewery-pool.ts';
import type { SlotSession, SlotSessionEnd } from '../xmpp/brewery-slot.ts';
import type { StartRefusal } from '../xmpp/start-iq.ts';

export interface BreweryDeps {
  readonly config: ScribaConfig;
  readonly logger: Logger;
  readonly queue: JobQueue<JobRequest>;
  readonly loop: WorkerLoop;
  readonly budget: AdmissionBudget;
  readonly policy: JobPolicy;
  /** The lifecycle status of each session the worker runs, by job id ('running' = capturing). */
  sessionStates(): ReadonlyMap<string, string>;
  /** Single-use mode: what to do once the first brewery session has ended (the worker exits). */
  onExpired?(): void;
  /** Test knobs. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly pollMs?: number;
}

export interface Brewery {
  view(): OccupantView[];
  /** Leaves every brewery. Call after the worker drained, so the last sessions' `off` IQs still go out. */
  close(): Promise<void>;
}

const BUSY: StartRefusal = { failureReason: 'busy', shouldRetry: true, message: 'no capacity for another session' };

function endOf(outcome: JobOutcome | null): SlotSessionEnd {
  if (outcome === null) return { ok: false, shouldRetry: true, message: 'the session crashed' };
  switch (outcome.kind) {
    case 'completed':
    case 'recovered':
      return { ok: true };
    case 'failed':
      return { ok: false, shouldRetry: outcome.retryable, message: outcome.message };
    case 'lost':
      return { ok: false, shouldRetry: true, message: 'the session was lost' };
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** Joins the configured breweries; null when none is configured. */
export function startBrewery(deps: BreweryDeps): Brewery | null {
  const settings = xmppSettings(deps.config);
  if (settings.environments.length === 0) return null;
  const { queue, loop, logger } = deps;
  const workerId = `${hostname()}-${process.pid}-brewery`;
  const log = logger.child({ component: 'brewery' });
  let starting = 0;
  /** How many more sessions admission could fund now, counting starts under way. */
  const fundable = (): number => (loop.state().draining ? 0 : fundableSessions(loop.capacity(), starting, deps.budget));

  async function start(request: JobRequest): Promise<SlotSession | StartRefusal> {
    if (fundable() === 0) return BUSY;
    starting++;
    try {
      return await admit(request);
    } finally {
      starting--;
    }
  }

  async function admit(request: JobRequest): Promise<SlotSession | StartRefusal> {
    const kinds = jobKinds(request);
    // Jicofo may send the same session id again (a retry after a failure here): a fresh job id then.
    let req = request;
    if ((await queue.get(req.sessionId)) !== null) req = { ...req, sessionId: `${req.sessionId}-${randomUUID().slice(0, 8)}` };
    let job;
    try {
      job = await queue.enqueueClaimed(req, {
        jobId: req.sessionId,
        workerId,
        tags: [roomTag(req.target.tenant, req.target.room)],
        exclusiveKeys: kinds.map((k) => exclusiveKey(req.target, k)),
      });
    } catch (err) {
      // The room is already recorded in this mode (by the API or another recorder): another recorder cannot help.
      if (err instanceof ExclusiveKeyConflict)
        return { failureReason: 'error', shouldRetry: false, message: 'this room is already being recorded in this mode' };
      throw err;
    }
    const id = job.id;
    const outcome = loop.runClaimed(job);
    const settled = new AbortController();
    void outcome.finally(() => settled.abort());
    /** Resolves once the session's state satisfies `test`, or never when the job ends first. */
    const watch = async (test: (status: string | undefined) => boolean): Promise<boolean> => {
      while (!settled.signal.aborted) {
        if (test(deps.sessionStates().get(id))) return true;
        await pause(deps.pollMs ?? 250, settled.signal);
      }
      return false;
    };
    const capturing = new Promise<void>((resolve) => void watch((s) => s === 'running').then((seen) => seen && resolve()));
    const fileFinished = Promise.race([watch((s) => s === 'finished' || s === 'failed'), outcome]).then(() => undefined);
    return {
      capturing,
      ended: outcome.then(endOf),
      fileFinished,
      stop: () => {
        void queue.requestStop(id).catch((err: unknown) => log.error({ err, jobId: id }, 'could not request the stop'));
      },
    };
  }

  const pool = new BreweryPool({
    settings,
    slots: slotCount(deps.budget),
    policy: deps.policy,
    logger: log,
    newId: () => randomUUID(),
    fundable,
    healthy: () => loop.state().healthy,
    start,
    ...(deps.onExpired ? { onExpired: deps.onExpired } : {}),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  });
  pool.start();
  // Presence follows admission: API jobs taking the CPU, a session ending, draining.
  const refresher = setInterval(() => pool.refresh(), deps.pollMs ?? 500);
  log.info({ environments: settings.environments.map((e) => e.name), slots: slotCount(deps.budget) }, 'joining the Jibri breweries');
  return {
    view: () => pool.view(),
    async close() {
      clearInterval(refresher);
      await pool.close();
    },
  };
}
