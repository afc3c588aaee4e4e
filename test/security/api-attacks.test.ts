/**
 * The attack list, replayed against the real API server (real HTTP on loopback, real Jitsi JWTs, the embedded
 * queue), so that what a penetration test found stays fixed: tokens, bodies, URLs, other tenants' sessions,
 * links, floods. Every loop is bounded in count and time. docs/security.md describes the threat model.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRequest } from '../../src/domain/job-request.ts';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { startApi, type RunningApi } from '../../workers/api.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { TEST_SECRET, mintHmacRaw, mintHs, mintUnsigned, type Claims } from '../helpers/jwt.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';

const nowSec = () => Math.floor(Date.now() / 1000);

function token(room: string, user: { id: string; moderator: boolean; email?: string }, over: Claims = {}): Claims {
  return {
    iss: 'my-app',
    aud: 'jitsi',
    sub: 'meet.example.com',
    room,
    nbf: nowSec() - 10,
    exp: nowSec() + 600,
    context: {
      user: { name: user.id, email: user.email ?? `${user.id}@example.com`, ...user },
      features: { recording: true, livestreaming: true },
    },
    ...over,
  };
}

describe('security: the API under attack', () => {
  let api: RunningApi;
  let queue: JobQueue<JobRequest>;
  const log = memoryLogger();
  const LIMITS = { maxQueued: 40, maxOpenPerTenant: 30, maxOpenPerUser: 3, startsPerMinute: 1000 };

  beforeAll(async () => {
    const config = testConfig({
      queue: { backend: 'sqlite', sqlitePath: join(testConfig().workDir, `queue-${randomUUID()}.sqlite`) },
      worker: { allowedMeetingHosts: ['meet.example.com', 'meet.example.com:8443'], allowedStreamHosts: ['a.rtmp.youtube.com'] },
      api: { port: 0, bodyLimitBytes: 65536, ...LIMITS },
      auth: { enabled: true, algorithms: ['HS256'], secrets: [TEST_SECRET], issuers: ['my-app'], audiences: ['jitsi'] },
    });
    queue = createQueue(config);
    api = await startApi(config, log.logger, queue);
  });

  afterAll(async () => {
    await api?.close();
    await queue?.close();
  });

  const call = (method: 'GET' | 'POST', path: string, jwt: string | null, body?: unknown, raw?: string) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(jwt !== null ? { authorization: `Bearer ${jwt}` } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method === 'POST' ? { body: raw ?? JSON.stringify(body ?? {}) } : {}),
    });
  const start = (jwt: string | null, body: unknown, raw?: string) => call('POST', '/v1/sessions', jwt, body, raw);

  it('refuses bad tokens with 401 and creates nothing', async () => {
    const before = await queue.counts();
    const good = token('standup', { id: 'mod-1', moderator: true });
    const bad = [
      null,
      'not-a-jwt',
      mintUnsigned(good),
      mintHmacRaw(good, { alg: 'HS256', typ: 'JWT' }, 'the-wrong-secret'),
      await mintHs({ ...good, exp: nowSec() - 60 }),
      await mintHs({ ...good, aud: 'elsewhere' }),
      await mintHs({ ...good, iss: 'someone-else' }),
      await mintHs(good, TEST_SECRET, 'HS512'),
    ];
    for (const jwt of bad) {
      const res = await start(jwt, { meetingUrl: 'https://meet.example.com/standup', mode: 'file' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    }
    expect(await queue.counts()).toEqual(before);
  });

  it('refuses bad bodies and URLs with 4xx, a clear message and no job', async () => {
    const jwt = await mintHs(token('*', { id: 'mod-2', moderator: true }));
    const before = await queue.counts();
    const cases: Array<[string, unknown, string | undefined, number]> = [
      ['malformed JSON', null, '{"meetingUrl":', 400],
      [
        'nested 5,000 deep',
        null,
        `{"meetingUrl":"https://meet.example.com/r","mode":"file","extraMetadata":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        400,
      ],
      ['too large', { meetingUrl: 'https://meet.example.com/r', mode: 'file', extraMetadata: { x: 'y'.repeat(70_000) } }, undefined, 413],
      ['unknown field', { meetingUrl: 'https://meet.example.com/r', mode: 'file', bogus: 1 }, undefined, 400],
      ['initiator from the body', { meetingUrl: 'https://meet.example.com/r', mode: 'file', initiator: { id: 'x' } }, undefined, 400],
      ['another port of an allowed host', { meetingUrl: 'https://meet.example.com:6379/r', mode: 'file' }, undefined, 400],
      ['a host not allowed', { meetingUrl: 'https://evil.example.org/r', mode: 'file' }, undefined, 400],
      ['mixed dot segments', { meetingUrl: 'https://meet.example.com/other/.%2e/r', mode: 'file' }, undefined, 400],
      ['file URL', { meetingUrl: 'file:///etc/passwd', mode: 'file' }, undefined, 400],
      ['javascript URL', { meetingUrl: 'javascript:alert(1)', mode: 'file' }, undefined, 400],
      ['user info in the URL', { meetingUrl: 'https://u:p@meet.example.com/r', mode: 'file' }, undefined, 400],
      ['loopback http', { meetingUrl: 'http://127.0.0.1:8080/r', mode: 'file' }, undefined, 400],
      [
        'RTMP to a private address',
        { meetingUrl: 'https://meet.example.com/r', mode: 'stream', rtmpStreamKey: 'rtmp://10.0.0.1/live/k' },
        undefined,
        400,
      ],
      [
        'webhook to metadata service',
        { meetingUrl: 'https://meet.example.com/r', mode: 'file', webhookUrl: 'http://169.254.169.254/' },
        undefined,
        400,
      ],
    ];
    for (const [name, body, raw, status] of cases) {
      const res = await start(jwt, body, raw);
      expect(res.status, name).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text).error.message, name).toEqual(expect.any(String));
      expect(text, name).not.toMatch(/at .*\.ts:\d+|node_modules/);
    }
    expect(await queue.counts()).toEqual(before);
    // The explicitly named port is allowed.
    expect((await start(jwt, { meetingUrl: 'https://meet.example.com:8443/port-ok', mode: 'file' })).status).toBe(201);
  });

  it("hides other tenants' and rooms' sessions behind the same 404 as a missing one", async () => {
    const owner = await mintHs(token('secret-room', { id: 'mod-3', moderator: true }));
    const created = await start(owner, { meetingUrl: 'https://meet.example.com/secret-room', mode: 'file' });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const strangers = [
      await mintHs(token('other-room', { id: 'mod-4', moderator: true })),
      await mintHs(token('*', { id: 'mod-5', moderator: true }, { sub: 'other.example.com' })),
    ];
    for (const jwt of strangers) {
      for (const [method, path] of [
        ['GET', `/v1/sessions/${id}`],
        ['POST', `/v1/sessions/${id}/stop`],
      ] as const) {
        const seen = await call(method, path, jwt);
        const missing = await call(method, path.replace(id, 'does-not-exist'), jwt);
        expect(seen.status).toBe(404);
        const [a, b] = [await seen.text(), await missing.text()];
        expect(a).toBe(b);
        expect(a).not.toMatch(/secret-room/);
      }
    }
    // A taken session id says nothing about whose it is.
    const other = await mintHs(token('*', { id: 'mod-9', moderator: true }));
    const dup = await start(other, { meetingUrl: 'https://meet.example.com/elsewhere', mode: 'file', sessionId: id });
    expect(dup.status).toBe(409);
    expect(await dup.text()).not.toMatch(/secret-room/);
  });

  it("shows the initiator's e-mail and links only to a moderator or the initiator", async () => {
    const moderator = await mintHs(token('daily', { id: 'mod-6', moderator: true, email: 'grace@example.com' }));
    expect((await start(moderator, { meetingUrl: 'https://meet.example.com/daily', mode: 'file' })).status).toBe(201);
    const guest = await mintHs(token('daily', { id: 'guest-1', moderator: false }));
    const asGuest = await (await call('GET', '/v1/sessions?room=daily', guest)).text();
    expect(asGuest).toContain('"room":"daily"');
    expect(asGuest).not.toContain('grace@example.com');
    const asModerator = await (await call('GET', '/v1/sessions?room=daily', moderator)).text();
    expect(asModerator).toContain('grace@example.com');
  });

  it('one recorder per conference: case, fullwidth and trailing-dot variants collide', async () => {
    const jwt = await mintHs(token('*', { id: 'mod-7', moderator: true }));
    expect((await start(jwt, { meetingUrl: 'https://meet.example.com/allhands', mode: 'file' })).status).toBe(201);
    for (const meetingUrl of [
      'https://meet.example.com./allhands',
      'https://meet.example.com/ＡｌｌＨａｎｄｓ',
      'https://MEET.EXAMPLE.COM/AllHands',
    ]) {
      const res = await start(jwt, { meetingUrl, mode: 'file' });
      expect(res.status, meetingUrl).toBe(409);
    }
  });

  it('a flood of 200 concurrent starts from one token queues at most the per-user cap, quickly', async () => {
    const jwt = await mintHs(token('*', { id: 'flooder', moderator: true }));
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        start(jwt, { meetingUrl: `https://meet.example.com/flood-${i}`, mode: 'file' }).then(async (r) => {
          if (r.status === 429) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
          return r.status;
        }),
      ),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    const created = statuses.filter((s) => s === 201).length;
    // Count-then-enqueue: concurrent starts of one caller may pass the cap by a few (documented).
    expect(created).toBeGreaterThanOrEqual(1);
    expect(created).toBeLessThanOrEqual(LIMITS.maxOpenPerUser + 2);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
    const list = await (await call('GET', '/v1/sessions?room=flood-1', jwt)).json();
    expect(list).toMatchObject({ sessions: expect.any(Array) });
    // Another user of another tenant still gets in.
    const other = await mintHs(token('*', { id: 'someone', moderator: true }, { sub: '*' }));
    expect((await start(other, { meetingUrl: 'https://meet.example.com/after-flood', mode: 'file' })).status).toBe(201);
  });

  it('logs one access line per request: method, route, status, duration, caller, never a token or a query string', async () => {
    const jwt = await mintHs(token('logged', { id: 'mod-8', moderator: true }));
    await call('GET', '/v1/sessions?room=logged&sig=very-secret-signature', jwt);
    const lines = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');
    const line = lines.findLast((l) => l['route'] === '/v1/sessions' && l['method'] === 'GET');
    expect(line).toMatchObject({
      method: 'GET',
      route: '/v1/sessions',
      status: 200,
      caller: 'meet.example.com/mod-8',
      durationMs: expect.any(Number),
    });
    const all = log.lines.join('\n');
    expect(all).not.toContain('very-secret-signature');
    expect(all).not.toContain(jwt);
  });
});
