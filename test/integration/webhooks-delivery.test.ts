/**
 * Webhook delivery end to end, against a real HTTP receiver on 127.0.0.1: signatures and envelope, retries
 * with one idempotency key, a receiver that is down and comes back (including the 30 s), the
 * outbox surviving a restart, two senders sharing one outbox, the SSRF policy and the give-up horizon.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import {
  createWebhookService,
  verifyWebhookSignature,
  type WebhookEnvelope,
  type WebhookEventInput,
  type WebhookService,
  type WebhookServiceOptions,
} from '../../src/webhooks/index.ts';
import { openWebhookOutbox, type OutboxRow } from '../../src/webhooks/webhook-outbox.ts';
import { waitUntil } from '../helpers/processes.ts';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'whsec_integration_0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const started = (room: string, sessionId = `s-${room}`): WebhookEventInput => ({
  eventType: 'RECORDING_STARTED',
  data: { conference: `${room}@conference.meet.example` },
  sessionId,
  room,
});

const envelopeOf = (r: ReceivedWebhook) => JSON.parse(r.rawBody) as WebhookEnvelope;
const keyOf = (r: ReceivedWebhook) => envelopeOf(r).idempotencyKey;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as ReadonlyArray<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

function signatureOk(r: ReceivedWebhook): boolean {
  const header = r.headers['x-jaas-signature'];
  return verifyWebhookSignature({ header: typeof header === 'string' ? header : undefined, rawBody: r.rawBody, secrets: [SECRET] }).ok;
}

/** Each key answered 2xx exactly once. */
function acknowledgedOnce(receiver: WebhookReceiver, keys: readonly string[]): boolean {
  const acks = receiver.acknowledged().map(keyOf);
  return acks.length === keys.length && keys.every((k) => acks.filter((a) => a === k).length === 1);
}

describe('webhook delivery', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(over: Partial<WebhookServiceOptions> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-webhooks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.stop());
    const logLines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void logLines.push(s) } });
    const registry = new Registry();
    const options: WebhookServiceOptions = {
      urls: [receiver.url()],
      secret: SECRET,
      appId: 'vpaas-magic-cookie-test',
      customerId: 'customer-1',
      outboxPath: join(dir, 'outbox', 'webhooks.sqlite'),
      allowPrivateAddresses: true,
      timeoutMs: 2_000,
      initialBackoffMs: 100,
      maxBackoffMs: 500,
      giveUpAfterSec: 3_600,
      pollMs: 200,
      ...over,
    };
    const services: WebhookService[] = [];
    const newService = (extra: Partial<WebhookServiceOptions> = {}) => {
      const service = createWebhookService({ ...options, ...extra }, { logger, registry });
      const stop = new AbortController();
      service.start(stop.signal);
      services.push(service);
      cleanups.push(async () => {
        stop.abort();
        await service.close();
      });
      return service;
    };
    /** A separate handle on the outbox file, to look at rows as an operator would. */
    const rows = (): OutboxRow[] => {
      const o = openWebhookOutbox({ path: options.outboxPath, claimLeaseMs: 1 });
      try {
        return o.list();
      } finally {
        o.close();
      }
    };
    return { receiver, logLines, registry, options, newService, rows, services };
  }

  it('delivers signed events with the JaaS envelope, to every subscriber and a per-request URL', async () => {
    const { receiver, registry, newService, rows } = await setup();
    const service = newService();
    const uploaded: WebhookEventInput = {
      eventType: 'RECORDING_UPLOADED',
      data: {
        participants: [{ name: 'Ada', avatar: '', id: 'u1' }],
        preAuthenticatedLink: 'https://files.example/rec.mp4?X-Amz-Signature=abc',
        share: true,
        initiatorId: 'u1',
        durationSec: 61.02,
        startTimestamp: 1_700_000_000_000,
        endTimestamp: 1_700_000_061_020,
        recordingSessionId: 'rs-1',
      },
      sessionId: 'sess-1',
      room: 'MyRoom',
      appId: null,
      timestampMs: 1_700_000_061_500,
    };
    await service.publish(started('MyRoom', 'sess-1'));
    await service.publish(uploaded, receiver.url('/extra?tenant=1'));
    expect(await waitUntil(() => receiver.acknowledged().length === 3, 10_000, 20)).toBe(true);

    for (const r of receiver.received) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toBe('scriba');
      expect(signatureOk(r)).toBe(true);
      const env = envelopeOf(r);
      expect(Object.keys(env)).toEqual(['idempotencyKey', 'customerId', 'appId', 'eventType', 'sessionId', 'timestamp', 'fqn', 'data']);
      expect(env.idempotencyKey).toMatch(UUID);
      expect(env).toMatchObject({
        customerId: 'customer-1',
        appId: 'vpaas-magic-cookie-test',
        sessionId: 'sess-1',
        fqn: 'vpaas-magic-cookie-test/MyRoom',
      });
    }
    const byPath = (p: string) => receiver.received.filter((r) => r.path === p).map(envelopeOf);
    expect(
      byPath('/hook')
        .map((e) => e.eventType)
        .sort(),
    ).toEqual(['RECORDING_STARTED', 'RECORDING_UPLOADED']);
    expect(byPath('/extra?tenant=1').map((e) => e.eventType)).toEqual(['RECORDING_UPLOADED']);
    const [toHook] = byPath('/hook').filter((e) => e.eventType === 'RECORDING_UPLOADED');
    const [toExtra] = byPath('/extra?tenant=1');
    // One event, two subscribers: the same key and body for both.
    expect(toExtra).toEqual(toHook);
    expect(toExtra).toMatchObject({ timestamp: 1_700_000_061_500, data: uploaded.data });
    const startedEnv = byPath('/hook').find((e) => e.eventType === 'RECORDING_STARTED');
    expect(startedEnv?.data).toEqual({ conference: 'MyRoom@conference.meet.example' });

    await service.flush();
    expect(rows().map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'delivered' })).toBe(3);
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'delivered', event: 'RECORDING_UPLOADED' })).toBe(2);
    expect(await metric(registry, 'scriba_webhook_outbox_pending')).toBe(0);
  });

  it('retries 503s with the same key and body, until one 2xx acknowledges it', async () => {
    const { receiver, registry, newService } = await setup();
    receiver.respondWith(503);
    const service = newService();
    await service.publish(started('A'));
    await service.publish(started('B'));
    expect(await waitUntil(() => receiver.received.length >= 6, 10_000, 20)).toBe(true);
    expect(await metric(registry, 'scriba_webhook_outbox_pending')).toBe(2);
    receiver.respondWith(200);
    const keys = [...new Set(receiver.received.map(keyOf))];
    expect(keys).toHaveLength(2);
    expect(await waitUntil(() => receiver.acknowledged().length === 2, 10_000, 20)).toBe(true);
    await sleep(700); // longer than the longest back-off: nothing more may arrive
    expect(acknowledgedOnce(receiver, keys)).toBe(true);
    for (const key of keys) {
      const attempts = receiver.received.filter((r) => keyOf(r) === key);
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(new Set(attempts.map((a) => a.rawBody)).size).toBe(1);
      expect(attempts.every(signatureOk)).toBe(true);
      expect(attempts.at(-1)?.status).toBe(200);
    }
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'retry' })).toBeGreaterThanOrEqual(4);
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'delivered' })).toBe(2);
  });

  it('a receiver that is down (connection refused), then back: every event delivered once', async () => {
    const { receiver, newService, rows, logLines } = await setup();
    await receiver.stop();
    const service = newService();
    for (const room of ['A', 'B', 'C', 'D', 'E']) await service.publish(started(room));
    expect(await waitUntil(() => rows().every((r) => r.attempts >= 3), 10_000, 50)).toBe(true);
    expect(logLines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
    await receiver.start();
    const keys = [...new Set(rows().map((r) => r.idempotencyKey))];
    expect(await waitUntil(() => receiver.acknowledged().length === 5, 10_000, 20)).toBe(true);
    await sleep(700);
    expect(acknowledgedOnce(receiver, keys)).toBe(true);
    expect(receiver.received.every(signatureOk)).toBe(true);
    expect(rows().every((r) => r.status === 'delivered')).toBe(true);
  });

  it('the outbox survives a restart: queued while the receiver is down, delivered by the next service', async () => {
    const { receiver, newService, rows } = await setup();
    await receiver.stop();
    const first = newService();
    await first.publish(started('A'));
    await first.publish(started('B'));
    expect(await waitUntil(() => rows().every((r) => r.attempts >= 1), 10_000, 20)).toBe(true);
    await first.close();
    const keys = rows().map((r) => r.idempotencyKey);
    expect(rows().every((r) => r.status === 'pending')).toBe(true);

    const second = newService();
    await receiver.start();
    expect(await waitUntil(() => receiver.acknowledged().length === 2, 10_000, 20)).toBe(true);
    await second.flush();
    expect(acknowledgedOnce(receiver, keys)).toBe(true);
    expect(receiver.received.every(signatureOk)).toBe(true);
  });

  it('two senders sharing one outbox never deliver an event twice', async () => {
    const { receiver, newService } = await setup();
    const [a, b] = [newService(), newService()];
    const published: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) published.push(a.publish(started(`a${i}`)), b.publish(started(`b${i}`)));
    await Promise.all(published);
    expect(await waitUntil(() => receiver.acknowledged().length >= 40, 15_000, 20)).toBe(true);
    await sleep(500);
    const keys = receiver.received.map(keyOf);
    expect(keys).toHaveLength(40);
    expect(new Set(keys).size).toBe(40);
  });

  it('does not follow redirects, and times out a receiver that never answers', async () => {
    const { receiver, newService, rows } = await setup({ timeoutMs: 300 });
    receiver.respondWith(302);
    const service = newService();
    await service.publish(started('A'));
    expect(await waitUntil(() => receiver.received.length >= 2, 10_000, 20)).toBe(true);
    expect(receiver.received.every((r) => r.path === '/hook')).toBe(true);
    expect(await waitUntil(() => rows()[0]?.lastError === 'HTTP 302 (redirects are not followed)', 5_000, 20)).toBe(true);

    receiver.respondWith('hang');
    expect(await waitUntil(() => rows()[0]?.lastError === 'timed out after 300 ms', 10_000, 20)).toBe(true);
    receiver.respondWith(200);
    expect(await waitUntil(() => receiver.acknowledged().length === 1, 10_000, 20)).toBe(true);
    await service.flush();
    expect(rows()[0]?.status).toBe('delivered');
  });

  it('SSRF: refuses private targets without sending, with a clear error', async () => {
    const { receiver, registry, newService, rows, logLines } = await setup({ allowPrivateAddresses: false, giveUpAfterSec: 2 });
    const service = newService({ urls: [] });
    // An address literal can never become public: abandoned at once.
    await service.publish(started('Literal'), `http://127.0.0.1:${receiver.port}/hook`);
    await service.publish(started('Mapped'), `http://[::ffff:127.0.0.1]:${receiver.port}/hook`);
    // A name is judged on what it resolves to; DNS may change, so it is retried until the horizon.
    await service.publish(started('Name'), `http://localhost:${receiver.port}/hook`);
    expect(await waitUntil(() => rows().filter((r) => r.status === 'abandoned').length === 2, 5_000, 20)).toBe(true);
    const [literal, mapped, name] = rows();
    expect(literal?.lastError).toBe('refused to send to 127.0.0.1: a loopback address; set webhooks.allowPrivateAddresses to allow it');
    // The URL parser writes the mapped address in hex.
    expect(mapped?.lastError).toMatch(/refused to send to ::ffff:7f00:1: a loopback address/);
    expect(literal?.attempts).toBe(1);
    expect(await waitUntil(() => (rows()[2]?.attempts ?? 0) >= 2, 5_000, 20)).toBe(true);
    expect(rows()[2]?.lastError).toMatch(
      /^refused to send to (127\.0\.0\.1|::1) \(localhost resolves to it\): a loopback address; set webhooks\.allowPrivateAddresses to allow it$/,
    );
    expect(name?.status).toBe('pending');
    expect(await waitUntil(() => rows()[2]?.status === 'abandoned', 5_000, 50)).toBe(true);
    expect(receiver.received).toEqual([]);
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'abandoned' })).toBe(3);
    expect(logLines.filter((l) => l.includes('"level":50') && l.includes('webhook abandoned'))).toHaveLength(3);
  });

  it('gives up after giveUpAfterSec: abandoned, logged at error without secrets, counted', async () => {
    const { receiver, registry, newService, rows, logLines } = await setup({ giveUpAfterSec: 1 });
    receiver.respondWith(500);
    const service = newService();
    await service.publish(started('A'));
    expect(await waitUntil(() => rows()[0]?.status === 'abandoned', 5_000, 20)).toBe(true);
    const row = rows()[0]!;
    expect(row.lastError).toBe('HTTP 500');
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(receiver.received.length).toBe(row.attempts);
    const last = receiver.received.at(-1)!;
    // The last attempt is made at the horizon, not up to maxBackoffMs after it.
    expect(last.atMs - receiver.received[0]!.atMs).toBeGreaterThanOrEqual(900);
    expect(await metric(registry, 'scriba_webhook_deliveries_total', { outcome: 'abandoned', event: 'RECORDING_STARTED' })).toBe(1);
    expect(await metric(registry, 'scriba_webhook_outbox_pending')).toBe(0);
    const abandoned = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'webhook abandoned: still failing 1 s after it was queued');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatchObject({
      level: 50,
      event: 'RECORDING_STARTED',
      status: 500,
      error: 'HTTP 500',
      idempotencyKey: row.idempotencyKey,
    });
    const signature = String(last.headers['x-jaas-signature']).split('v1=')[1]!;
    for (const line of logLines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(signature);
    }
  });
});

describe("webhook delivery, the issue's acceptance", () => {
  it('receiver down for 30 s, then back: every event delivered and acknowledged exactly once', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-webhooks-30s-'));
    const receiver = await startWebhookReceiver();
    const logger = createLogger({ level: 'silent' });
    const service = createWebhookService(
      {
        urls: [receiver.url()],
        secret: SECRET,
        appId: 'scriba',
        customerId: '',
        outboxPath: join(dir, 'webhooks.sqlite'),
        allowPrivateAddresses: true,
        timeoutMs: 2_000,
        initialBackoffMs: 250,
        maxBackoffMs: 2_000,
        giveUpAfterSec: 3_600,
      },
      { logger },
    );
    const stop = new AbortController();
    try {
      await receiver.stop();
      service.start(stop.signal);
      const events: WebhookEventInput[] = [
        started('Down'),
        { eventType: 'RECORDING_ENDED', data: { conference: 'Down', reason: 'signal' }, sessionId: 's-Down', room: 'Down' },
        {
          eventType: 'TRANSCRIPTION_UPLOADED',
          data: { preAuthenticatedLink: 'https://files.example/t.txt' },
          sessionId: 's-Down',
          room: 'Down',
        },
      ];
      for (const e of events) await service.publish(e);
      await sleep(30_000);
      expect(receiver.received).toEqual([]);
      await receiver.start();
      // Back-off tops out at 2 s, so each event is retried within about 2 s of the receiver's return.
      expect(await waitUntil(() => receiver.acknowledged().length === 3, 10_000, 20)).toBe(true);
      await sleep(2_500);
      const keys = receiver.acknowledged().map(keyOf);
      expect(new Set(keys).size).toBe(3);
      expect(receiver.received).toHaveLength(3);
      expect(receiver.received.every(signatureOk)).toBe(true);
      expect(receiver.received.map((r) => envelopeOf(r).eventType).sort()).toEqual([
        'RECORDING_ENDED',
        'RECORDING_STARTED',
        'TRANSCRIPTION_UPLOADED',
      ]);
    } finally {
      stop.abort();
      await service.close();
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
