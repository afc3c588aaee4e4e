/** The session routes through Fastify's inject, on an in-memory embedded queue and a table-driven fake auth. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiAuth } from '../../../src/api/api-auth.ts';
import { buildApiServer } from '../../../src/api/api-server.ts';
import type { JobPolicy, JobRequest } from '../../../src/domain/job-request.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import { createSqliteQueue } from '../../../src/queue/sqlite-queue.ts';

interface Caller {
  readonly room: string;
  readonly moderator: boolean;
}

const deny = (status: number, code: string, message: string) => Object.assign(new Error(message), { status, code });

const auth: ApiAuth<Caller> = {
  async authenticate(header) {
    const m = /^Bearer (\w+):(\w+|\*)$/.exec(header ?? '');
    if (!m) throw deny(401, 'missing_token', 'send a token');
    return { moderator: m[1] === 'mod', room: m[2]! };
  },
  authorizeStart(c, t) {
    if (c.room !== '*' && c.room !== t.room) throw deny(403, 'wrong_room', 'the token is for another room');
    if (!c.moderator) throw deny(403, 'not_moderator', 'only moderators');
  },
  authorizeStop(c, t) {
    this.authorizeStart(c, t, []);
  },
  authorizeRead(c, t) {
    if (c.room !== '*' && c.room !== t.room) throw deny(403, 'wrong_room', 'the token is for another room');
  },
  initiatorOf: (c) => ({ id: c.moderator ? 'mod-1' : 'guest-1', name: 'Moderator', email: c.moderator ? 'mod@example.com' : null }),
  maySeeDetails: (c, t, initiator) => (c.room === '*' || c.room === t.room) && (c.moderator || initiator?.id === 'guest-1'),
  quotaKeysOf: (c) => ({ tenant: 'tenant-a', user: c.moderator ? 'mod-1' : 'guest-1' }),
  callerIdOf: (c) => `tenant-a/${c.moderator ? 'mod-1' : 'guest-1'}`,
  appIdOf: () => 'vpaas-magic-cookie-1',
};

const policy: JobPolicy = {
  allowedMeetingHosts: ['meet.example.com'],
  allowedStreamHosts: ['a.rtmp.youtube.com'],
  allowHttp: false,
  defaultMaxDurationSec: 3600,
  maxDurationCapSec: 21600,
};

let n = 0;
async function setup(extra: Partial<Parameters<typeof buildApiServer<Caller>>[0]> = {}) {
  const queue: JobQueue<JobRequest> = createSqliteQueue<JobRequest>({ path: ':memory:' });
  const app = await buildApiServer<Caller>({
    queue,
    auth,
    policy,
    logger: createLogger({ level: 'silent' }),
    bodyLimitBytes: 4096,
    callbackAllowed: (url) => url.startsWith('https://hooks.example.com/'),
    newId: () => `s${++n}`,
    supportedKinds: ['file', 'stream'],
    ...extra,
  });
  return { queue, app };
}

const start = (body: unknown, token = 'mod:standup') => ({
  method: 'POST' as const,
  url: '/v1/sessions',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  payload: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('/v1/sessions', () => {
  const open: Array<Awaited<ReturnType<typeof setup>>> = [];
  afterEach(async () => {
    for (const s of open.splice(0)) {
      await s.app.close();
      await s.queue.close();
    }
  });
  const make = async (extra: Parameters<typeof setup>[0] = {}) => {
    const s = await setup(extra);
    open.push(s);
    return s;
  };

  it('starts a session: 201, queued, initiator and app from the token, no secrets in the view', async () => {
    const { app, queue } = await make();
    const res = await app.inject(
      start({ meetingUrl: 'https://meet.example.com/standup?jwt=secret', mode: 'file', extraMetadata: { token: 'upload-secret' } }),
    );
    expect(res.statusCode).toBe(201);
    const view = res.json();
    expect(view).toMatchObject({ status: 'queued', room: 'standup', modes: ['file'], initiator: { id: 'mod-1' } });
    expect(res.headers.location).toBe(`/v1/sessions/${view.id}`);
    expect(res.body).not.toMatch(/secret/);
    const job = (await queue.get(view.id))!.data;
    expect(job.appId).toBe('vpaas-magic-cookie-1');
    expect(job.metadata).toEqual({ token: 'upload-secret' });
  });

  it('gets, lists by room and stops a session', async () => {
    const { app } = await make();
    const id = (await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }))).json().id as string;
    const got = await app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: { authorization: 'Bearer guest:standup' } });
    expect(got.statusCode).toBe(200);
    expect(got.json().id).toBe(id);
    const list = await app.inject({ method: 'GET', url: '/v1/sessions?room=Standup', headers: { authorization: 'Bearer guest:*' } });
    expect(list.json().sessions.map((s: { id: string }) => s.id)).toEqual([id]);
    const other = await app.inject({ method: 'GET', url: '/v1/sessions?room=standup', headers: { authorization: 'Bearer guest:other' } });
    expect(other.json().sessions).toEqual([]);
    const guestStop = await app.inject({
      method: 'POST',
      url: `/v1/sessions/${id}/stop`,
      headers: { authorization: 'Bearer guest:standup' },
    });
    expect(guestStop.statusCode).toBe(403);
    const stop = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/stop`, headers: { authorization: 'Bearer mod:standup' } });
    expect(stop.statusCode).toBe(202);
    expect(stop.json()).toMatchObject({ id, stopRequested: true, status: 'failed' }); // queued → stopped before start
    const again = await app.inject({ method: 'POST', url: `/v1/sessions/${id}/stop`, headers: { authorization: 'Bearer mod:standup' } });
    expect(again.statusCode).toBe(409);
  });

  it('allows one session per room and mode (409), another mode or room is fine', async () => {
    const { app, queue } = await make();
    expect((await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }))).statusCode).toBe(201);
    const second = await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }));
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({ code: 'conflict' });
    expect(second.json().error.message).toMatch(/file session for this room is already queued or running/);
    expect(
      (await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'stream', youtubeStreamKey: 'k-1' }))).statusCode,
    ).toBe(201);
    expect((await app.inject(start({ meetingUrl: 'https://meet.example.com/other', mode: 'file' }, 'mod:*'))).statusCode).toBe(201);
    expect((await queue.counts()).queued).toBe(3);
  });

  it.each([
    ['no token', start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }, ''), 401, 'missing_token'],
    ['wrong room', start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }, 'mod:other'), 403, 'wrong_room'],
    ['non-moderator', start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }, 'guest:standup'), 403, 'not_moderator'],
    ['malformed JSON', start('{"meetingUrl": '), 400, 'malformed_json'],
    [
      'oversized body',
      start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file', extraMetadata: { x: 'y'.repeat(5000) } }),
      413,
      'body_too_large',
    ],
    ['host not allowed', start({ meetingUrl: 'https://evil.example.org/standup', mode: 'file' }), 400, 'invalid_request'],
    ['file: URL', start({ meetingUrl: 'file:///etc/passwd', mode: 'file' }), 400, 'invalid_request'],
    [
      'RTMP host not allowed',
      start({ meetingUrl: 'https://meet.example.com/standup', mode: 'stream', rtmpStreamKey: 'rtmp://10.0.0.1/live/k' }),
      400,
      'invalid_request',
    ],
    [
      'transcription not available yet',
      start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file', transcription: true }),
      400,
      'unsupported_mode',
    ],
    [
      'webhook URL not allowed',
      start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file', webhookUrl: 'http://169.254.169.254/' }),
      400,
      'invalid_request',
    ],
  ])('%s → %i and no job', async (_name, request, status, code) => {
    const { app, queue } = await make();
    const res = await app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message).toEqual(expect.any(String));
    expect(res.body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 0, failed: 0 });
  });

  it('serves the OpenAPI document and JSON 404s', async () => {
    const { app } = await make();
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/stop']));
    expect(doc.components.schemas.StartRequest.properties).toHaveProperty('meetingUrl');
    const missing = await app.inject({ method: 'GET', url: '/v1/sessions/nope', headers: { authorization: 'Bearer mod:*' } });
    expect(missing.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).json().error.code).toBe('not_found');
  });
  it('shows links and the e-mail only to a moderator or the initiator; others see status', async () => {
    const { app, queue } = await make();
    const id = (await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }))).json().id as string;
    const claimed = (await queue.claim({ workerId: 'w', signal: AbortSignal.timeout(2000) }))!;
    await queue.complete(claimed.id, claimed.token, {
      key: 'rec/standup.mp4',
      link: 'https://files.example.com/x?sig=abc',
      durationSec: 12,
      reason: 'requested',
    });
    const asGuest = await app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: { authorization: 'Bearer guest:standup' } });
    expect(asGuest.statusCode).toBe(200);
    expect(asGuest.json()).toMatchObject({
      status: 'completed',
      result: { durationSec: 12, reason: 'requested' },
      initiator: { email: null },
    });
    expect(asGuest.body).not.toMatch(/sig=|files\.example|mod@example|rec\//);
    const listed = await app.inject({
      method: 'GET',
      url: '/v1/sessions?room=standup',
      headers: { authorization: 'Bearer guest:standup' },
    });
    expect(listed.body).not.toMatch(/sig=|mod@example/);
    const asModerator = await app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: { authorization: 'Bearer mod:standup' } });
    expect(asModerator.json()).toMatchObject({
      result: { link: 'https://files.example.com/x?sig=abc' },
      initiator: { email: 'mod@example.com' },
    });
  });

  it('answers 404, not 403 or 409, for a session the caller may not see', async () => {
    const { app } = await make();
    const id = (await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }))).json().id as string;
    for (const req of [
      { method: 'GET' as const, url: `/v1/sessions/${id}` },
      { method: 'POST' as const, url: `/v1/sessions/${id}/stop` },
    ]) {
      const res = await app.inject({ ...req, headers: { authorization: 'Bearer mod:other' } });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toMatch(/standup/);
      const missing = await app.inject({ ...req, url: req.url.replace(id, 'no-such-id'), headers: { authorization: 'Bearer mod:other' } });
      expect(missing.json()).toEqual(res.json());
    }
  });

  it('treats fullwidth and case variants of a room, and a trailing dot on the host, as the same meeting', async () => {
    const { app } = await make();
    expect((await app.inject(start({ meetingUrl: 'https://meet.example.com/standup', mode: 'file' }, 'mod:*'))).statusCode).toBe(201);
    for (const url of [
      'https://meet.example.com./standup',
      'https://meet.example.com/ＳｔａｎｄＵＰ',
      'https://MEET.example.com/StandUp',
    ]) {
      const res = await app.inject(start({ meetingUrl: url, mode: 'file' }, 'mod:*'));
      expect(res.statusCode, url).toBe(409);
    }
    const listed = await app.inject({
      method: 'GET',
      url: `/v1/sessions?room=${encodeURIComponent('ｓｔａｎｄｕｐ')}&host=meet.example.com.`,
      headers: { authorization: 'Bearer mod:*' },
    });
    expect(listed.json().sessions).toHaveLength(1);
  });

  it('caps open sessions per user (429 with Retry-After) and the queue depth (503)', async () => {
    const { app, queue } = await make({ limits: { maxQueued: 3, maxOpenPerTenant: 10, maxOpenPerUser: 2 } });
    for (const room of ['a1', 'a2'])
      expect((await app.inject(start({ meetingUrl: `https://meet.example.com/${room}`, mode: 'file' }, 'mod:*'))).statusCode).toBe(201);
    const third = await app.inject(start({ meetingUrl: 'https://meet.example.com/a3', mode: 'file' }, 'mod:*'));
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.json().error.code).toBe('too_many_sessions');
    expect((await app.inject(start({ meetingUrl: 'https://meet.example.com/b1', mode: 'file' }, 'mod:*'))).statusCode).toBe(429);
    // Another user of the same tenant fills the queue to its depth cap; then everyone gets 503.
    await queue.enqueue((await queue.get((await queue.list({ tag: 'room:/a1' }))[0]!.id))!.data, { jobId: 'filler', tags: [] });
    const full = await app.inject(start({ meetingUrl: 'https://meet.example.com/c1', mode: 'file' }, 'mod:*'));
    expect(full.statusCode).toBe(503);
    expect(full.json().error.code).toBe('queue_full');
    expect(full.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('limits starts per caller per minute (429)', async () => {
    const { app } = await make({ startsPerMinute: 2 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await app.inject(start({ meetingUrl: `https://meet.example.com/r${i}`, mode: 'file' }, 'mod:*'))).statusCode);
    expect(codes).toEqual([201, 201, 429, 429]);
    const limited = await app.inject(start({ meetingUrl: 'https://meet.example.com/r9', mode: 'file' }, 'mod:*'));
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    // Another caller has its own budget.
    expect((await app.inject(start({ meetingUrl: 'https://meet.example.com/r8', mode: 'file' }, 'mod:r8'))).statusCode).toBe(201);
  });

  it('refuses JSON nested thousands deep with 400, not 500', async () => {
    const { app, queue } = await make({ bodyLimitBytes: 65536 });
    const deep = `{"meetingUrl":"https://meet.example.com/standup","mode":"file","extraMetadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const res = await app.inject(start(deep));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/nests deeper/);
    expect((await queue.counts()).queued).toBe(0);
  });
});
