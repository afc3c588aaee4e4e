/**
 * The control API end to end, as `scriba serve` runs it: real JWTs (HS256 and RS256), the embedded queue, a
 * worker recording the synthetic meeting in real Chromium, and signed webhooks to a real local receiver.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { verifyWebhookSignature } from '../../src/webhooks/index.ts';
import { startApi, type RunningApi } from '../../workers/api.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { startWorker, type RunningWorker } from '../../workers/worker.ts';
import { TEST_SECRET, mintHmacRaw, mintHs, mintRs, mintUnsigned, rsaTestKey, type Claims, type RsaTestKey } from '../helpers/jwt.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { waitUntil } from '../helpers/processes.ts';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.ts';

const SECRET = TEST_SECRET; // what mintHs signs with
const WEBHOOK_SECRET = 'whsec_0123456789abcdef0123456789abcdef';
const nowSec = () => Math.floor(Date.now() / 1000);

function moderator(room: string, over: Claims = {}): Claims {
  return {
    iss: 'my-app',
    aud: 'jitsi',
    sub: '*',
    room,
    nbf: nowSec() - 10,
    exp: nowSec() + 600,
    context: {
      user: { id: 'mod-7', name: 'Grace', email: 'grace@example.com', moderator: true },
      features: { recording: 'true', livestreaming: 'true' },
    },
    ...over,
  };
}

describe('control API (scriba serve)', () => {
  let meeting: Awaited<ReturnType<typeof startDemoMeeting>>;
  let receiver: WebhookReceiver;
  let worker: RunningWorker;
  let api: RunningApi;
  let rsa: RsaTestKey;
  let nginx: NginxRtmp;
  const log = memoryLogger();

  beforeAll(async () => {
    rsa = await rsaTestKey();
    nginx = await startNginxRtmp();
    meeting = await startDemoMeeting({ port: 0 });
    receiver = await startWebhookReceiver();
    const config = testConfig({
      meeting: { allowHttp: true },
      checks: { maxDurationSec: 60, intervalSec: 1 },
      queue: { backend: 'sqlite', sqlitePath: join(testConfig().workDir, `queue-${randomUUID()}.sqlite`) },
      worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'], allowedStreamHosts: ['rtmp.example.com', '127.0.0.1'] },
      api: { port: 0, bodyLimitBytes: 4096 },
      auth: {
        enabled: true,
        algorithms: ['HS256', 'RS256'],
        secrets: [SECRET],
        publicKey: rsa.publicKeyPem,
        issuers: ['my-app'],
        audiences: ['jitsi'],
      },
      webhooks: {
        urls: [receiver.url('/hooks')],
        secret: WEBHOOK_SECRET,
        appId: 'my-app',
        customerId: 'cust-1',
        outboxPath: join(testConfig().workDir, `outbox-${randomUUID()}.sqlite`),
        allowPrivateAddresses: true,
        initialBackoffMs: 100,
      },
    });
    const queue = createQueue(config);
    worker = await startWorker(config, log.logger, queue);
    api = await startApi(config, log.logger, queue);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await worker?.shutdown(10_000);
    await receiver?.stop();
    await meeting?.close();
    await nginx?.close();
  });

  const post = (path: string, token: string | null, body: unknown, raw?: string) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(body),
    });
  const events = (type: string) =>
    receiver
      .acknowledged()
      .map((r) => ({ ...r, body: JSON.parse(r.rawBody) as Record<string, any> }))
      .filter((r) => r.body['eventType'] === type);

  it('a moderator token starts a recording; RECORDING_STARTED and RECORDING_ENDED arrive signed, with the documented fields', async () => {
    const token = await mintHs(moderator('standup'));
    const meetingUrl = `${meeting.url}/standup?participants=2`;
    const res = await post('/v1/sessions', token, { meetingUrl, mode: 'file', extraMetadata: { course: 'c-1' }, shouldShare: true });
    expect(res.status, await res.clone().text()).toBe(201);
    const session = (await res.json()) as { id: string; initiator: { id: string } };
    expect(session.initiator.id).toBe('mod-7');
    await waitUntil(() => events('RECORDING_STARTED').length === 1, 45_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const stop = await post(`/v1/sessions/${session.id}/stop`, token, {});
    if (stop.status !== 202) console.error(log.lines.slice(0, 60).join('\n'));
    expect(stop.status, JSON.stringify(await worker.queue.get(session.id))).toBe(202);
    await waitUntil(() => events('RECORDING_ENDED').length === 1, 45_000);
    for (const type of ['RECORDING_STARTED', 'RECORDING_ENDED']) {
      const [event] = events(type);
      const check = verifyWebhookSignature({
        header: event!.headers['x-jaas-signature'] as string,
        rawBody: event!.rawBody,
        secrets: [WEBHOOK_SECRET],
      });
      expect(check.ok, type).toBe(true);
      expect(event!.body).toMatchObject({
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
        customerId: 'cust-1',
        appId: 'my-app',
        eventType: type,
        sessionId: session.id,
        fqn: 'my-app/standup',
        data: { conference: 'standup@conference.127.0.0.1' },
      });
      expect(Math.abs(event!.body['timestamp'] - Date.now())).toBeLessThan(120_000);
    }
    expect(events('RECORDING_ENDED')[0]!.body['data']).toMatchObject({ reason: 'requested' });
    const done = await (await fetch(`${api.url}/v1/sessions/${session.id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(done).toMatchObject({ id: session.id, status: 'completed' });
  }, 120_000);

  it('a livestream through the API: LIVE_STREAM_STARTED and LIVE_STREAM_ENDED, the key nowhere in the view or the events', async () => {
    const token = await mintHs(moderator('live-room'));
    const res = await post('/v1/sessions', token, {
      meetingUrl: `${meeting.url}/live-room?participants=2`,
      mode: 'stream',
      rtmpStreamKey: nginx.url('sekret-key-42'),
    });
    expect(res.status).toBe(201);
    const session = (await res.json()) as { id: string; modes: string[] };
    expect(session.modes).toEqual(['stream']);
    expect(await waitUntil(() => events('LIVE_STREAM_STARTED').some((e) => e.body['sessionId'] === session.id), 60_000)).toBe(true);
    expect((await post(`/v1/sessions/${session.id}/stop`, token, {})).status).toBe(202);
    expect(await waitUntil(() => events('LIVE_STREAM_ENDED').some((e) => e.body['sessionId'] === session.id), 30_000)).toBe(true);
    const ended = events('LIVE_STREAM_ENDED').find((e) => e.body['sessionId'] === session.id)!;
    expect(ended.body['data']).toMatchObject({ conference: 'live-room@conference.127.0.0.1', reason: 'stopped' });
    expect(events('RECORDING_STARTED').some((e) => e.body['sessionId'] === session.id)).toBe(false); // no file asked for
    const view = await (await fetch(`${api.url}/v1/sessions/${session.id}`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(view).not.toContain('sekret-key-42');
    expect(JSON.stringify(await worker.queue.get(session.id))).toContain('sekret-key-42'); // only the job itself holds it
    expect(receiver.received.map((r) => r.rawBody).join('\n')).not.toContain('sekret-key-42');
    expect(log.lines.join('\n')).not.toContain('sekret-key-42');
  }, 120_000);

  // The shared worker has no store (testConfig: storage 'none'), so this test runs its own worker and API on a
  // local store in a temp dir: the transcript is uploaded and TRANSCRIPTION_UPLOADED carries its link.
  it('a transcription through the API: signed TRANSCRIPTION_CHUNK_RECEIVED per final phrase, then TRANSCRIPTION_UPLOADED', async () => {
    const base = testConfig();
    const config = testConfig({
      meeting: { allowHttp: true },
      queue: { backend: 'sqlite', sqlitePath: join(base.workDir, 'queue.sqlite') },
      worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'] },
      api: { port: 0 },
      auth: { enabled: true, algorithms: ['HS256'], secrets: [SECRET], issuers: ['my-app'], audiences: ['jitsi'] },
      webhooks: {
        urls: [receiver.url('/hooks')],
        secret: WEBHOOK_SECRET,
        appId: 'my-app',
        customerId: 'cust-1',
        outboxPath: join(base.workDir, 'outbox.sqlite'),
        allowPrivateAddresses: true,
        initialBackoffMs: 100,
      },
      storage: {
        backend: 'local',
        local: { root: join(base.workDir, 'store'), publicBaseUrl: 'http://127.0.0.1:9/files', linkSecrets: ['l'.repeat(32)] },
      },
    });
    const queue = createQueue(config);
    const txWorker = await startWorker(config, log.logger, queue);
    const txApi = await startApi(config, log.logger, queue);
    try {
      const token = await mintHs(
        moderator('tx-room', { context: { user: { id: 'mod-7', moderator: true }, features: { transcription: 'true' } } }),
      );
      const res = await fetch(`${txApi.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ meetingUrl: `${meeting.url}/tx-room?participants=3`, transcription: true, maxDurationSec: 15 }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const session = (await res.json()) as { id: string; modes: string[] };
      expect(session.modes).toEqual(['transcription']);
      const mine = (type: string) => events(type).filter((e) => e.body['sessionId'] === session.id);
      expect(await waitUntil(() => mine('TRANSCRIPTION_UPLOADED').length === 1, 90_000)).toBe(true);
      const chunks = mine('TRANSCRIPTION_CHUNK_RECEIVED');
      expect(chunks.length).toBeGreaterThan(0);
      const ids = new Set<string>();
      for (const event of [...chunks, ...mine('TRANSCRIPTION_UPLOADED')]) {
        const check = verifyWebhookSignature({
          header: event.headers['x-jaas-signature'] as string,
          rawBody: event.rawBody,
          secrets: [WEBHOOK_SECRET],
        });
        expect(check.ok).toBe(true);
        expect(event.body).toMatchObject({ fqn: 'my-app/tx-room', appId: 'my-app', customerId: 'cust-1' });
      }
      for (const chunk of chunks) {
        const data = chunk.body['data'] as Record<string, any>;
        expect(data).toMatchObject({ final: expect.any(String), language: 'en-US', messageID: expect.any(String) });
        expect(Object.keys(data['participant']).sort()).toEqual(['avatarUrl', 'email', 'id', 'name', 'userId']);
        expect(data['participant']['id']).toMatch(/^5c0e000[123]$/);
        expect(data['participant']['name'].length).toBeGreaterThan(0);
        ids.add(data['messageID']);
      }
      expect(ids.size).toBe(chunks.length); // one chunk per phrase, none doubled
      const link = mine('TRANSCRIPTION_UPLOADED')[0]!.body['data']['preAuthenticatedLink'] as string;
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:9\/files\/.*transcript\.json/);
    } finally {
      await txApi.close();
      await txWorker.shutdown(10_000);
    }
  }, 120_000);

  describe('refuses bad requests with a clear 4xx and creates no job', () => {
    const url = () => `${meeting.url}/refusals`;
    const cases: Array<[string, () => Promise<Response>, number, string | RegExp]> = [
      ['no token', async () => post('/v1/sessions', null, { meetingUrl: url(), mode: 'file' }), 401, 'missing_token'],
      [
        'alg none',
        async () => post('/v1/sessions', mintUnsigned(moderator('refusals')), { meetingUrl: url(), mode: 'file' }),
        401,
        /algorithm|invalid/,
      ],
      [
        'HS/RS confusion (HS256 keyed with the RSA public key)',
        async () =>
          post('/v1/sessions', mintHmacRaw(moderator('refusals'), { alg: 'HS256', typ: 'JWT' }, rsa.publicKeyPem), {
            meetingUrl: url(),
            mode: 'file',
          }),
        401,
        'bad_signature',
      ],
      [
        'RS256 signed by another key',
        async () =>
          post('/v1/sessions', await mintRs(moderator('refusals'), (await rsaTestKey()).privateKey), { meetingUrl: url(), mode: 'file' }),
        401,
        'bad_signature',
      ],
      [
        'expired',
        async () => post('/v1/sessions', await mintHs(moderator('refusals', { exp: nowSec() - 5 })), { meetingUrl: url(), mode: 'file' }),
        401,
        'token_expired',
      ],
      [
        'not yet valid',
        async () => post('/v1/sessions', await mintHs(moderator('refusals', { nbf: nowSec() + 300 })), { meetingUrl: url(), mode: 'file' }),
        401,
        'token_not_yet_valid',
      ],
      [
        'wrong secret',
        async () =>
          post('/v1/sessions', await mintHs(moderator('refusals'), 'not-the-secret-0123456789abcdef'), { meetingUrl: url(), mode: 'file' }),
        401,
        'bad_signature',
      ],
      [
        'wrong issuer',
        async () => post('/v1/sessions', await mintHs(moderator('refusals', { iss: 'other' })), { meetingUrl: url(), mode: 'file' }),
        401,
        'wrong_issuer',
      ],
      [
        'wrong audience',
        async () => post('/v1/sessions', await mintHs(moderator('refusals', { aud: 'other' })), { meetingUrl: url(), mode: 'file' }),
        401,
        'wrong_audience',
      ],
      [
        'wrong room',
        async () => post('/v1/sessions', await mintHs(moderator('another-room')), { meetingUrl: url(), mode: 'file' }),
        403,
        'wrong_room',
      ],
      [
        'missing feature',
        async () =>
          post(
            '/v1/sessions',
            await mintHs(moderator('refusals', { context: { user: { id: 'u', moderator: true }, features: { recording: 'false' } } })),
            { meetingUrl: url(), mode: 'file' },
          ),
        403,
        'missing_feature',
      ],
      [
        'non-moderator without features',
        async () =>
          post('/v1/sessions', await mintHs(moderator('refusals', { context: { user: { id: 'u', moderator: false } } })), {
            meetingUrl: url(),
            mode: 'file',
          }),
        403,
        'not_moderator',
      ],
      [
        'malformed JSON',
        async () => post('/v1/sessions', await mintHs(moderator('refusals')), null, '{"meetingUrl":'),
        400,
        'malformed_json',
      ],
      [
        'oversized body',
        async () =>
          post('/v1/sessions', await mintHs(moderator('refusals')), {
            meetingUrl: url(),
            mode: 'file',
            extraMetadata: { pad: 'x'.repeat(8000) },
          }),
        413,
        'body_too_large',
      ],
      [
        'meeting host not allowed',
        async () =>
          post('/v1/sessions', await mintHs(moderator('refusals')), { meetingUrl: 'https://meet.evil.example/refusals', mode: 'file' }),
        400,
        'invalid_request',
      ],
      [
        'file: URL',
        async () => post('/v1/sessions', await mintHs(moderator('*')), { meetingUrl: 'file:///etc/passwd', mode: 'file' }),
        400,
        'invalid_request',
      ],
      [
        'javascript: URL',
        async () => post('/v1/sessions', await mintHs(moderator('*')), { meetingUrl: 'javascript:alert(1)', mode: 'file' }),
        400,
        'invalid_request',
      ],
      [
        'data: URL',
        async () => post('/v1/sessions', await mintHs(moderator('*')), { meetingUrl: 'data:text/html,<b>x</b>', mode: 'file' }),
        400,
        'invalid_request',
      ],
      [
        'RTMP host not allowed',
        async () =>
          post('/v1/sessions', await mintHs(moderator('refusals')), {
            meetingUrl: url(),
            mode: 'stream',
            rtmpStreamKey: 'rtmp://10.1.2.3/live/secret-key',
          }),
        400,
        'invalid_request',
      ],
      [
        'room with ../',
        async () => post('/v1/sessions', await mintHs(moderator('*')), { meetingUrl: `${meeting.url}/a/../../etc`, mode: 'file' }),
        400,
        'invalid_request',
      ],
      [
        'room with a control character',
        async () => post('/v1/sessions', await mintHs(moderator('*')), { meetingUrl: `${meeting.url}/bad%07room`, mode: 'file' }),
        400,
        'invalid_request',
      ],
    ];
    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await worker.queue.counts();
      const res = await send();
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(status);
      expect(body.error.code).toMatch(code);
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(JSON.stringify(body)).not.toMatch(/secret-key|at .*\.ts:\d+/);
      expect(await worker.queue.counts()).toEqual(before);
    });

    it('a second start for the same room and mode (409, like Jicofo), while a stream of that room is fine', async () => {
      const token = await mintHs(moderator('twice'));
      // A meeting nobody ever joins: the job stays queued or starting long enough to collide with.
      const body = { meetingUrl: `${meeting.url}/twice?neverJoin=1`, mode: 'file' };
      const first = await post('/v1/sessions', token, body);
      expect(first.status).toBe(201);
      const before = await worker.queue.counts();
      const second = await post('/v1/sessions', token, body);
      expect(second.status).toBe(409);
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('conflict');
      expect(await worker.queue.counts()).toEqual(before);
      const { id } = (await first.json()) as { id: string };
      expect((await post(`/v1/sessions/${id}/stop`, token, {})).status).toBe(202);
    });

    it('an RS256 token with the configured public key works; logs never hold a token', async () => {
      const token = await mintRs(moderator('rs-room'), rsa.privateKey);
      const res = await fetch(`${api.url}/v1/sessions?room=rs-room`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sessions: [] });
      expect(log.lines.join('\n')).not.toContain(token.split('.')[2]!);
    });
  });
});
