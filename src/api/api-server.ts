/**
 * The control API's HTTP server (Fastify, logging through our redacting pino): body limit, JSON errors
 * without stack traces, the OpenAPI document, and the session routes. No business logic here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.ts';
import { toHttpError } from './api-error.ts';
import { openApiDocument } from './openapi.ts';
import { registerSessionRoutes, type SessionsRoutesDeps } from './sessions-routes.ts';

export interface ApiServerDeps<Caller> extends SessionsRoutesDeps<Caller> {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /** Extra routes on the same server (e.g. download links of the local store). */
  readonly extend?: (app: FastifyInstance) => void;
}

export function buildApiServer<Caller>(deps: ApiServerDeps<Caller>): FastifyInstance {
  const log = deps.logger.child({ component: 'api' });
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: deps.bodyLimitBytes });
  app.setErrorHandler((err, req, reply) => {
    const http = toHttpError(err);
    if (http.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ status: http.status, code: http.code }, 'request refused');
    if (http.status === 401) void reply.header('www-authenticate', 'Bearer realm="scriba"');
    void reply.code(http.status).send({ error: { code: http.code, message: http.message } });
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: 'no such endpoint; see /v1/openapi.json' } });
  });
  const doc = openApiDocument();
  app.get('/v1/openapi.json', async () => doc);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerSessionRoutes(app, deps);
  deps.extend?.(app);
  return app;
}
