/**
 * The outbox across a real process restart: events published by a process that is killed (SIGKILL) while
 * the receiver is down are delivered by the next process on the same outbox, once each, with the same
 * idempotencyKey as the failed attempts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/webhooks/index.ts';
import { waitUntil } from '../helpers/processes.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'whsec_process_restart_0123456789';

function startProcess(outbox: string, url: string, count: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['test/fixtures/webhooks/webhook-process.ts', outbox, url, SECRET, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('published') && resolve(child));
    child.once('exit', (code) => reject(new Error(`webhook process exited early (${code})`)));
  });
}

describe('webhook outbox across a process restart', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('delivers what a killed process queued, once, with the same idempotencyKey', async () => {
    const receiver = await startWebhookReceiver();
    receiver.respondWith(503); // up, but failing: attempts are made and recorded
    const outbox = join(mkdtempSync(join(tmpdir(), 'scriba-outbox-')), 'outbox.sqlite');
    const first = await startProcess(outbox, receiver.url('/hooks'), 3);
    children.push(first);
    expect(await waitUntil(() => new Set(receiver.received.map((r) => r.rawBody)).size === 3, 15_000)).toBe(true);
    const failedKeys = new Set(receiver.received.map((r) => (JSON.parse(r.rawBody) as { idempotencyKey: string }).idempotencyKey));
    first.kill('SIGKILL');
    if (first.exitCode === null && first.signalCode === null) await new Promise((r) => first.once('exit', r));
    await receiver.stop();
    receiver.respondWith(200);
    await receiver.start();
    const second = await startProcess(outbox, receiver.url('/hooks'), 0);
    children.push(second);
    expect(await waitUntil(() => receiver.acknowledged().length >= 3, 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000)); // nothing more may arrive
    const acked = receiver.acknowledged().map((r) => JSON.parse(r.rawBody) as { idempotencyKey: string });
    expect(acked).toHaveLength(3);
    expect(new Set(acked.map((a) => a.idempotencyKey))).toEqual(failedKeys);
    expect(
      receiver
        .acknowledged()
        .every(
          (r) => verifyWebhookSignature({ header: r.headers['x-jaas-signature'] as string, rawBody: r.rawBody, secrets: [SECRET] }).ok,
        ),
    ).toBe(true);
    await receiver.stop();
  }, 60_000);
});
