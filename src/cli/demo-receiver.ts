/** The demo's webhook receiver: a tiny HTTP server on loopback that checks each event's signature. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../webhooks/index.ts';

export interface ReceivedEvent {
  readonly eventType: string;
  readonly body: Record<string, unknown>;
  readonly signatureValid: boolean;
}

export interface DemoReceiver {
  readonly url: string;
  readonly events: ReceivedEvent[];
  /** Resolves when an event of this type has arrived (or rejects when the signal aborts). */
  waitFor(eventType: string, signal: AbortSignal): Promise<ReceivedEvent>;
  close(): Promise<void>;
}

export async function startDemoReceiver(secret: string, onEvent: (e: ReceivedEvent) => void): Promise<DemoReceiver> {
  const events: ReceivedEvent[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        const body = JSON.parse(raw) as Record<string, unknown>;
        const check = verifyWebhookSignature({
          header: req.headers['x-jaas-signature'] as string | undefined,
          rawBody: raw,
          secrets: [secret],
        });
        const event = { eventType: String(body['eventType']), body, signatureValid: check.ok };
        events.push(event);
        onEvent(event);
        for (const wake of [...waiters]) wake();
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    events,
    waitFor(eventType, signal) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find((e) => e.eventType === eventType);
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        signal.addEventListener(
          'abort',
          () => {
            waiters.delete(check);
            reject(new Error(`no ${eventType} webhook arrived in time`));
          },
          { once: true },
        );
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
