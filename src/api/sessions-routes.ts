/**
 * `/v1/sessions`: start, look at, list and stop sessions. Validation and authorization at the edge; the
 * queue does the rest (one session per room and mode is its exclusive key, so it holds across API replicas).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jobKinds, type JobKind, type JobPolicy, type JobRequest } from '../domain/job-request.ts';
import type { JobQueue, JobRecord } from '../queue/job-queue.ts';
import type { ApiAuth, RoomTarget } from './api-auth.ts';
import { ApiError } from './api-error.ts';
import { exclusiveKey, roomTag, sessionView } from './session-view.ts';
import { parseStartRequest } from './start-request.ts';

export interface SessionsRoutesDeps<Caller> {
  readonly queue: JobQueue<JobRequest>;
  readonly auth: ApiAuth<Caller>;
  readonly policy: JobPolicy;
  /** Whether a request's own webhook URL is allowed (the deployment's allow-list). */
  callbackAllowed(url: string): boolean;
  newId(): string;
  /** Output kinds this deployment's workers can make; others are refused at once instead of failing later. */
  readonly supportedKinds?: readonly JobKind[];
}

function targetOf(job: JobRequest): RoomTarget {
  return { room: job.target.room, tenant: job.target.tenant, host: new URL(job.target.baseUrl).hostname };
}

const idParam = (req: FastifyRequest): string => {
  const id = (req.params as { id?: unknown }).id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new ApiError(404, 'not_found', 'no such session');
  return id;
};

export function registerSessionRoutes<Caller>(app: FastifyInstance, deps: SessionsRoutesDeps<Caller>): void {
  const { queue, auth } = deps;
  const caller = (req: FastifyRequest): Promise<Caller> =>
    auth.authenticate(req.headers.authorization, AbortSignal.timeout(10_000));

  async function readable(req: FastifyRequest, who: Caller): Promise<JobRecord<JobRequest>> {
    const record = await queue.get(idParam(req));
    if (record === null) throw new ApiError(404, 'not_found', 'no such session');
    auth.authorizeRead(who, targetOf(record.data));
    return record;
  }

  app.post('/v1/sessions', async (req, reply) => {
    const who = await caller(req);
    const { job: parsed, webhookUrl } = parseStartRequest(req.body, deps.policy, deps.newId);
    if (webhookUrl !== null && !deps.callbackAllowed(webhookUrl)) {
      throw new ApiError(400, 'invalid_request', 'webhookUrl: this URL is not on the deployment\'s allow-list for per-request webhooks');
    }
    const kinds = jobKinds(parsed);
    auth.authorizeStart(who, targetOf(parsed), kinds);
    const unsupported = kinds.filter((k) => deps.supportedKinds !== undefined && !deps.supportedKinds.includes(k));
    if (unsupported.length > 0) {
      throw new ApiError(400, 'unsupported_mode', `${unsupported.join(' and ')} is not available on this deployment yet`);
    }
    const job: JobRequest = { ...parsed, initiator: auth.initiatorOf(who) ?? parsed.initiator, appId: auth.appIdOf(who), webhookUrl };
    if ((await queue.get(job.sessionId)) !== null) throw new ApiError(409, 'conflict', `a session with id ${job.sessionId} already exists`);
    const id = await queue.enqueue(job, {
      jobId: job.sessionId,
      tags: [roomTag(job.target.tenant, job.target.room)],
      exclusiveKeys: kinds.map((k) => exclusiveKey(job.target, k)),
    });
    const record = await queue.get(id);
    if (record === null) throw new Error(`session ${id} vanished right after it was queued`);
    return reply.code(201).header('location', `/v1/sessions/${encodeURIComponent(id)}`).send(sessionView(record));
  });

  app.get('/v1/sessions/:id', async (req) => sessionView(await readable(req, await caller(req))));

  app.get('/v1/sessions', async (req) => {
    const who = await caller(req);
    const q = req.query as Record<string, unknown>;
    const room = typeof q['room'] === 'string' ? q['room'].trim() : '';
    if (room === '') throw new ApiError(400, 'invalid_request', 'room: give the room name, e.g. /v1/sessions?room=standup');
    const host = typeof q['host'] === 'string' && q['host'] !== '' ? q['host'].toLowerCase() : null;
    const tenant = typeof q['tenant'] === 'string' && q['tenant'] !== '' ? q['tenant'] : null;
    const limit = Math.min(Math.max(Number(q['limit'] ?? 50) || 50, 1), 200);
    const records = (await queue.list({ tag: roomTag(tenant, room), limit })).filter(
      (r) => host === null || new URL(r.data.target.baseUrl).hostname === host,
    );
    const visible = records.filter((r) => {
      try {
        auth.authorizeRead(who, targetOf(r.data));
        return true;
      } catch {
        return false;
      }
    });
    return { sessions: visible.map(sessionView) };
  });

  app.post('/v1/sessions/:id/stop', async (req, reply) => {
    const who = await caller(req);
    const record = await queue.get(idParam(req));
    if (record === null) throw new ApiError(404, 'not_found', 'no such session');
    auth.authorizeStop(who, targetOf(record.data));
    if (record.status === 'completed' || record.status === 'failed') {
      throw new ApiError(409, 'already_ended', `the session has already ${record.status === 'completed' ? 'ended' : 'failed'}`);
    }
    await queue.requestStop(record.id);
    const after = await queue.get(record.id);
    return reply.code(202).send(sessionView(after ?? record));
  });
}
