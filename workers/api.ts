/**
 * Composition root of the control API: authentication from configuration, the queue, the Fastify server.
 * `scriba api` runs it alone (pods in front of a Redis queue); `scriba serve` runs it beside a worker.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { OPEN_AUTH, type ApiAuth } from '../src/api/api-auth.ts';
import { buildApiServer, closeWithin } from '../src/api/api-server.ts';
import { jwtAuth } from '../src/api/jwt-auth.ts';
import type { ScribaConfig } from '../src/config/config.ts';
import { jobPolicy } from '../src/config/job-policy.ts';
import type { JobRequest } from '../src/domain/job-request.ts';
import type { Logger } from '../src/log/logger.ts';
import type { JobQueue } from '../src/queue/job-queue.ts';
import { callbackUrlAllowed } from '../src/webhooks/index.ts';

export function createApiAuth(config: ScribaConfig, logger: Logger): ApiAuth<unknown> {
  if (!config.auth.enabled) {
    logger.warn('auth.enabled is false: every API caller is treated as a moderator (closed networks only)');
    return OPEN_AUTH as ApiAuth<unknown>;
  }
  return jwtAuth(config.auth) as ApiAuth<unknown>;
}

export interface RunningApi {
  readonly url: string;
  readonly app: FastifyInstance;
  /** Stops taking requests; in-flight ones get api.closeGraceSec, then connections are cut. Idempotent. */
  close(): Promise<void>;
}

export async function startApi(
  config: ScribaConfig,
  logger: Logger,
  queue: JobQueue<JobRequest>,
  extend?: (app: FastifyInstance) => void,
): Promise<RunningApi> {
  const app = await buildApiServer({
    queue,
    auth: createApiAuth(config, logger),
    policy: jobPolicy(config),
    logger,
    bodyLimitBytes: config.api.bodyLimitBytes,
    callbackAllowed: (url) => callbackUrlAllowed(url, config.api.allowedCallbackUrls),
    newId: randomUUID,
    supportedKinds: ['file', 'stream', 'transcription'],
    limits: { maxQueued: config.api.maxQueued, maxOpenPerTenant: config.api.maxOpenPerTenant, maxOpenPerUser: config.api.maxOpenPerUser },
    requestTimeoutMs: config.api.requestTimeoutSec * 1000,
    startsPerMinute: config.api.startsPerMinute,
    ...(extend ? { extend } : {}),
  });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  logger.info({ url }, 'API listening');
  let closed: Promise<void> | null = null;
  return { url, app, close: () => (closed ??= closeWithin(app, config.api.closeGraceSec * 1000)) };
}
