/**
 * A worker's HTTP surface (Fastify): liveness, readiness, Prometheus metrics, and Jibri's health document for
 * dashboards built for Jibri. No business logic here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { isReady, jibriHealth, type WorkerState } from '../domain/worker-status.ts';
import type { Logger } from '../log/logger.ts';

export interface WorkerHttpDeps {
  state(): WorkerState;
  readonly registry: Registry;
  readonly logger: Logger;
}

export function buildWorkerHttp(deps: WorkerHttpDeps): FastifyInstance {
  // Fastify logs with our pino instance (secrets redacted, same format as everything else); at warn, so
  // the probes every few seconds do not fill the log with request lines.
  const httpLogger = deps.logger.child({ component: 'http' }, { level: 'warn' });
  const app = Fastify({ loggerInstance: httpLogger as FastifyBaseLogger, bodyLimit: 1024 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const state = deps.state();
    return reply.code(isReady(state) ? 200 : 503).send({ ready: isReady(state), ...state });
  });
  app.get('/metrics', async (_req, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  app.get('/jibri/api/v1.0/health', async () => jibriHealth(deps.state()));
  return app;
}
