/**
 * A meeting page that cannot load (here: connection refused on a loopback port) must not hand the recorder's
 * URL, and with it the meeting JWT, the recorder's XMPP password and the room password, to whoever reads the
 * session: not in the API view, not in the RECORDING_FAILED webhook, not in the logs. Real worker, real
 * Chromium, real webhook receiver.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStack } from '../helpers/api-stack.ts';
import { TEST_SECRET, mintHs } from '../helpers/jwt.ts';
import { waitUntil } from '../helpers/processes.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const XMPP_PASSWORD = 'recorder-xmpp-Pa55word!';
const ROOM_PASSWORD = 'room-password-4711';
// The meeting's own JWT, as a deployment with token auth puts it in the meeting URL.
const MEETING_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoic3RhbmR1cCIsIm1lZXRpbmciOnRydWV9.bWVldGluZy1qd3Qtc2lnbmF0dXJl';
const nowSec = () => Math.floor(Date.now() / 1000);

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('security: no secret in an error that leaves the process', () => {
  let stack: ApiStack;
  let receiver: WebhookReceiver;
  const log = memoryLogger();

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const config = testConfig({
      meeting: { xmppDomain: 'recorder.meet.test', xmppUsername: 'recorder', xmppPassword: XMPP_PASSWORD, pageLoadTimeoutSec: 10 },
      queue: { backend: 'sqlite', sqlitePath: join(testConfig().workDir, `queue-${randomUUID()}.sqlite`), maxAttempts: 1 },
      worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'] },
      api: { port: 0 },
      auth: { enabled: true, algorithms: ['HS256'], secrets: [TEST_SECRET], issuers: ['my-app'], audiences: ['jitsi'] },
      webhooks: {
        urls: [receiver.url('/hooks')],
        secret: 'whsec_0123456789abcdef0123456789abcdef',
        appId: 'my-app',
        outboxPath: join(testConfig().workDir, `outbox-${randomUUID()}.sqlite`),
        allowPrivateAddresses: true,
        initialBackoffMs: 100,
      },
    });
    stack = await startApiStack(config, log.logger);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await receiver?.stop();
  });

  it('a page that fails to load: the view, the webhook and the logs hold no JWT and no password', async () => {
    const port = await closedPort();
    const moderator = await mintHs({
      iss: 'my-app',
      aud: 'jitsi',
      sub: '*',
      room: 'standup',
      nbf: nowSec() - 10,
      exp: nowSec() + 600,
      context: { user: { id: 'mod-1', name: 'Ada', moderator: true }, features: { recording: true } },
    });
    const res = await fetch(`${stack.api.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${moderator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        meetingUrl: `https://127.0.0.1:${port}/standup?jwt=${MEETING_JWT}`,
        roomPassword: ROOM_PASSWORD,
        mode: 'file',
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const failedEvent = () => receiver.acknowledged().find((r) => r.rawBody.includes('RECORDING_FAILED'));
    expect(await waitUntil(() => failedEvent() !== undefined, 60_000)).toBe(true);

    const view = await (await fetch(`${stack.api.url}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${moderator}` } })).text();
    const listed = await (
      await fetch(`${stack.api.url}/v1/sessions?room=standup`, { headers: { authorization: `Bearer ${moderator}` } })
    ).text();
    const parsed = JSON.parse(view) as { status: string; error: { message: string } };
    expect(parsed.status).toBe('failed');
    // Still says why, in words an operator can act on.
    expect(parsed.error.message).toMatch(/failed to load: net::ERR_CONNECTION_REFUSED/);
    const webhookBody = failedEvent()!.rawBody;
    expect(JSON.parse(webhookBody)).toMatchObject({ eventType: 'RECORDING_FAILED', data: { reason: 'page_load_failed' } });
    const everything = [view, listed, receiver.received.map((r) => r.rawBody).join('\n'), log.lines.join('\n')].join('\n');
    for (const secret of [MEETING_JWT, XMPP_PASSWORD, encodeURIComponent(XMPP_PASSWORD), ROOM_PASSWORD, 'localStorageContent=%7B']) {
      expect(everything).not.toContain(secret);
    }
    const stored = await stack.worker.queue.get(id);
    expect(JSON.stringify(stored?.error)).not.toContain(MEETING_JWT);
    expect(JSON.stringify(stored?.error)).not.toContain(XMPP_PASSWORD);
  }, 90_000);
});
