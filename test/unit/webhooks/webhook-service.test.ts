/** The service's storage side, with no sender started (nothing leaves the process). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScribaConfig } from '../../../src/config/config.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { createWebhookService, type WebhookEventInput, type WebhookServiceOptions } from '../../../src/webhooks/index.ts';
import { openWebhookOutbox } from '../../../src/webhooks/webhook-outbox.ts';

const event: WebhookEventInput = { eventType: 'RECORDING_STARTED', data: { conference: 'r' }, sessionId: 's', room: 'r' };

describe('webhook service (storage side)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup(urls: readonly string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-webhook-service-'));
    dirs.push(dir);
    const lines: string[] = [];
    const options: WebhookServiceOptions = {
      urls,
      secret: 'whsec_x',
      appId: 'scriba',
      customerId: 'c',
      outboxPath: join(dir, 'webhooks.sqlite'),
      allowPrivateAddresses: false,
      timeoutMs: 1_000,
      initialBackoffMs: 100,
      maxBackoffMs: 1_000,
      giveUpAfterSec: 60,
    };
    let n = 0;
    const service = createWebhookService(options, {
      logger: createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } }),
      registry: new Registry(),
      now: () => 1_000,
      newId: () => `key-${++n}`,
    });
    const rows = () => {
      const o = openWebhookOutbox({ path: options.outboxPath, claimLeaseMs: 1 });
      try {
        return o.list();
      } finally {
        o.close();
      }
    };
    return { service, rows, lines };
  }

  it('takes config.webhooks as its options', () => {
    const fromConfig: WebhookServiceOptions = {} as ScribaConfig['webhooks'];
    expect(fromConfig).toBeDefined();
  });

  it('stores nothing without subscribers or a per-request URL', async () => {
    const { service, rows } = setup([]);
    await service.publish(event);
    await service.publish(event, null);
    expect(rows()).toEqual([]);
    await service.close();
  });

  it('stores one row per subscriber with one key and one body; a duplicate URL counts once', async () => {
    const { service, rows } = setup(['https://a.example/hook', 'https://b.example/hook']);
    await service.publish(event, 'https://a.example/hook');
    await service.publish(event, 'https://c.example/x?tenant=1');
    const stored = rows();
    expect(stored.map((r) => [r.idempotencyKey, r.url])).toEqual([
      ['key-1', 'https://a.example/hook'],
      ['key-1', 'https://b.example/hook'],
      ['key-2', 'https://a.example/hook'],
      ['key-2', 'https://b.example/hook'],
      ['key-2', 'https://c.example/x?tenant=1'],
    ]);
    expect(new Set(stored.filter((r) => r.idempotencyKey === 'key-2').map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(stored[0]!.body)).toEqual({
      idempotencyKey: 'key-1',
      customerId: 'c',
      appId: 'scriba',
      eventType: 'RECORDING_STARTED',
      sessionId: 's',
      timestamp: 1_000,
      fqn: 'scriba/r',
      data: { conference: 'r' },
    });
    await service.close();
  });

  it('skips (and logs) a URL that is not http(s), keeping the others', async () => {
    const { service, rows, lines } = setup(['https://a.example/hook']);
    await service.publish(event, 'ftp://files.example/x?token=secret');
    expect(rows().map((r) => r.url)).toEqual(['https://a.example/hook']);
    const skipped = lines.find((l) => l.includes('webhook URL skipped'));
    expect(skipped).toContain('ftp://files.example/x');
    expect(skipped).not.toContain('secret');
    await service.close();
  });

  it('close is idempotent; publishing afterwards is refused', async () => {
    const { service } = setup(['https://a.example/hook']);
    const closing = service.close();
    expect(service.close()).toBe(closing);
    await closing;
    await expect(service.publish(event)).rejects.toThrow(/closed/);
    await service.flush();
  });
});
