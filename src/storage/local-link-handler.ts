/**
 * Serving local-store links over HTTP: the framework-neutral `serveLocalLink` (request in, status + headers +
 * stream out), a writer for Node's ServerResponse, and a Fastify plugin the API server mounts.
 *
 * 403 for anything not signed by us or expired (and for paths that try to leave the root), 404 for a valid
 * link to a missing object, 405 for methods other than GET/HEAD. Single byte ranges are honoured.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { StorageError } from './object-store.ts';
import { attachmentDisposition, contentTypeFor } from './content-type.ts';
import { parseRange } from './http-range.ts';
import { LOCAL_LINK_PREFIX } from './local-link.ts';
import type { LocalStore } from './local-store.ts';

export interface LinkRequest {
  readonly method: string;
  /** The raw request target: path and query, still percent-encoded (Node's `req.url`). */
  readonly url: string;
  readonly range?: string | undefined;
}

export interface LinkResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The file's bytes (GET 200/206), a short text for errors, or null (HEAD, empty file). */
  readonly body: Readable | string | null;
}

// Links are bearer secrets: keep them out of caches, referrers and content sniffing.
const BASE_HEADERS = {
  'cache-control': 'private, no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function textResponse(status: number, text: string, extra: Record<string, string> = {}): LinkResponse {
  return {
    status,
    headers: { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...extra },
    body: text,
  };
}

export async function serveLocalLink(store: LocalStore, request: LinkRequest): Promise<LinkResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  const verdict = store.verifyLink(path, q === -1 ? '' : request.url.slice(q + 1));
  if (!verdict.ok) return textResponse(403, verdict.reason === 'expired' ? 'link expired\n' : 'forbidden\n');

  let opened;
  try {
    opened = await store.openForRead(verdict.key);
  } catch (err) {
    // A symlink leading out of the root: the same answer as for a forged link.
    if (err instanceof StorageError && err.reason === 'invalid_key') return textResponse(403, 'forbidden\n');
    throw err;
  }
  if (opened === null) return textResponse(404, 'not found\n');

  const { handle, size } = opened;
  const range = parseRange(request.range, size);
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    'content-type': contentTypeFor(verdict.key),
    'content-disposition': attachmentDisposition(verdict.key),
    'accept-ranges': 'bytes',
    'last-modified': new Date(opened.lastModifiedMs).toUTCString(),
  };
  if (range.kind === 'unsatisfiable') {
    await handle.close();
    return textResponse(416, 'range not satisfiable\n', { 'content-range': `bytes */${size}` });
  }
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, size - 1];
  if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${size}`;
  headers['content-length'] = String(end - start + 1);
  if (request.method === 'HEAD' || end < start) {
    await handle.close();
    return { status, headers, body: null };
  }
  return { status, headers, body: handle.createReadStream({ start, end, autoClose: true }) };
}

/** Writes a LinkResponse to a Node response (a stream error destroys the response: the client sees it short). */
export async function sendLinkResponse(res: ServerResponse, response: LinkResponse): Promise<void> {
  res.writeHead(response.status, response.headers);
  const body = response.body;
  if (body === null) {
    res.end();
  } else if (typeof body === 'string') {
    res.end(body);
  } else {
    await pipeline(body, res).catch(() => res.destroy());
  }
}

/** A plain Node request handler for `/v1/files/…` (for servers that are not Fastify). */
export function localLinkRequestHandler(store: LocalStore): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const response = await serveLocalLink(store, { method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range }).catch(() =>
      textResponse(500, 'internal error\n'),
    );
    await sendLinkResponse(res, response);
  };
}

export interface LocalLinksPluginOptions {
  readonly store: LocalStore;
}

/**
 * Fastify plugin: GET (and HEAD) `/v1/files/*`. The raw URL is used, not Fastify's decoded parameters, so the
 * signature is checked on exactly what the client sent. A wildcard route, so key length
 * is not limited by the router's maxParamLength.
 */
export async function localLinksPlugin(app: FastifyInstance, options: LocalLinksPluginOptions): Promise<void> {
  app.get(`${LOCAL_LINK_PREFIX}*`, async (request, reply) => {
    const response = await serveLocalLink(options.store, {
      method: request.method,
      url: request.raw.url ?? request.url,
      range: request.headers.range,
    });
    reply.hijack(); // we write the exact headers (Content-Length included) and stream the file ourselves
    await sendLinkResponse(reply.raw, response);
  });
}
