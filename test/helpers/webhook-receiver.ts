/**
 * A real webhook receiver for tests: node:http on 127.0.0.1 (port 0 the first time), recording every
 * request's raw body and headers and the status it answered. It can be told to answer another status, and
 * be stopped and started again on the same port (a receiver that is down, then back).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly rawBody: string;
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly path: string;
  /** The status this request was answered with (0: left hanging). */
  readonly status: number;
  readonly atMs: number;
}

export interface WebhookReceiver {
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly received: readonly ReceivedWebhook[];
  /** Requests answered with a 2xx. */
  acknowledged(): ReceivedWebhook[];
  /** The status of later requests (200 by default); 'hang' never answers. A 3xx points at /redirected. */
  respondWith(status: number | 'hang'): void;
  readonly listening: boolean;
  /** Closes the port, dropping open (and hanging) connections: connection refused from then on. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let status: number | 'hang' = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = status === 'hang' ? 0 : status;
      received.push({
        rawBody: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
        method: req.method ?? '',
        path: req.url ?? '',
        status: answered,
        atMs: Date.now(),
      });
      if (answered === 0) return;
      const location = answered >= 300 && answered < 400 ? { Location: '/redirected' } : {};
      res.writeHead(answered, { 'Content-Type': 'text/plain', ...location }).end(answered < 300 ? 'ok' : 'not now');
    });
  });
  const port = await listen(server, 0);
  let listening = true;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    acknowledged: () => received.filter((r) => r.status >= 200 && r.status < 300),
    respondWith(s) {
      status = s;
    },
    get listening() {
      return listening;
    },
    async stop() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async start() {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
  };
}
