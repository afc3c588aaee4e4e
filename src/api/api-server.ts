/**
 * The control API's HTTP server (Fastify, logging through our redacting pino): body limit and nesting
 * depth, request and connection timeouts, a start rate per caller, JSON errors without stack traces, one
 * access-log line per request, the OpenAPI document and the session routes. No business logic here.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { settlesWithin } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import { ApiError, toHttpError } from './api-error.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';
import { openApiDocument } from './openapi.ts';
import { callerIdOf } from './request-caller.ts';
import { registerSessionRoutes, type SessionsRoutesDeps } from './sessions-routes.ts';
import { LimitError } from './start-admission.ts';

export interface ApiServerDeps<Caller> extends SessionsRoutesDeps<Caller> {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /**
   * A request (headers and body) must arrive within this time; a client trickling a body can then hold a
   * connection, and a shutdown, only this long. Default 10 s.
   */
  readonly requestTimeoutMs?: number;
  /** Starts (POST /v1/sessions) per caller per minute; 0 = no limit. */
  readonly startsPerMinute?: number;
  /** Extra routes on the same server (e.g. download links of the local store). */
  readonly extend?: (app: FastifyInstance) => void;
}

/** Rate-limit key: the bearer token's hash (one caller), else the client address. Never the token itself. */
function rateKey(authorization: string | undefined, ip: string): string {
  return authorization ? `t:${createHash('sha256').update(authorization).digest('base64url').slice(0, 22)}` : `ip:${ip}`;
}

export async function buildApiServer<Caller>(deps: ApiServerDeps<Caller>): Promise<FastifyInstance> {
  const log = deps.logger.child({ component: 'api' });
  const requestTimeout = deps.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout,
    connectionTimeout: requestTimeout * 2,
    keepAliveTimeout: 5_000,
    // Our own access line below: Fastify's default one logs an empty `req` through our serializers.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((err, req, reply) => {
    const http = toHttpError(err);
    if (http.status >= 500 && http.status !== 503) req.log.error({ err }, 'request failed');
    else req.log.info({ status: http.status, code: http.code }, 'request refused');
    if (http.status === 401) void reply.header('www-authenticate', 'Bearer realm="scriba"');
    if (err instanceof LimitError) void reply.header('retry-after', String(err.retryAfterSec));
    void reply.code(http.status).send({ error: { code: http.code, message: http.message } });
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: 'no such endpoint; see /v1/openapi.json' } });
  });
  app.addHook('preValidation', async (req) => {
    if (req.body !== undefined && nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
      throw new ApiError(400, 'invalid_request', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    // Method, route pattern (never the query string: it may carry a link's sig or a jwt), status, time, caller.
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        caller: callerIdOf(req),
      },
      'request',
    );
  });
  const perMinute = deps.startsPerMinute ?? 0;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      global: false,
      keyGenerator: (req) => rateKey(req.headers.authorization, req.ip),
      errorResponseBuilder: (_req, ctx) =>
        new LimitError(
          429,
          'rate_limited',
          `at most ${ctx.max} starts per minute; try again in ${Math.ceil(ctx.ttl / 1000)} s`,
          Math.max(1, Math.ceil(ctx.ttl / 1000)),
        ),
    });
  }
  const doc = openApiDocument();
  app.get('/v1/openapi.json', async () => doc);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerSessionRoutes(app, deps, perMinute > 0 ? { rateLimit: { max: perMinute, timeWindow: 60_000 } } : {});
  deps.extend?.(app);
  return app;
}

/**
 * Closes the server within `graceMs`: no new requests at once, in-flight ones get the grace, then every
 * connection is cut. A slow client can then never hold a shutdown past the supervisor's kill.
 */
export async function closeWithin(app: FastifyInstance, graceMs: number): Promise<void> {
  const closing = app.close();
  if (!(await settlesWithin(closing, graceMs))) {
    app.server.closeAllConnections();
    await closing;
  }
}
