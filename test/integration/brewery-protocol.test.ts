/**
 * The brewery protocol against a real Prosody and a Jicofo stand-in, with sessions stood in by promises (the
 * real worker and meeting are in brewery-worker.test.ts): presence, start/stop replies, status IQs, busy and
 * refused starts, malformed IQs, login and brewery faults, and a Prosody restart mid-session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml } from '@xmpp/xml';
import type { JobRequest } from '../../src/domain/job-request.ts';
import { BreweryPool } from '../../src/xmpp/brewery-pool.ts';
import type { SlotSession, SlotSessionEnd } from '../../src/xmpp/brewery-slot.ts';
import type { XmppEnvironment } from '../../src/xmpp/xmpp-environment.ts';
import { JicofoStandin } from '../helpers/jicofo-standin.ts';
import { waitUntil } from '../helpers/processes.ts';
import { startProsody, type Prosody } from '../helpers/prosody.ts';
import { memoryLogger } from '../helpers/recording.ts';

const JIBRI_PASSWORD = 'jibri-secret-pw-1';
const FOCUS_PASSWORD = 'focus-secret-pw-2';
const CALL_PASSWORD = 'call-secret-pw-3';

let prosody: Prosody;
beforeAll(async () => {
  prosody = await startProsody({ accounts: { jibri: JIBRI_PASSWORD, focus: FOCUS_PASSWORD } });
});
afterAll(async () => {
  await prosody?.close();
});

function environment(overrides: Partial<XmppEnvironment> = {}): XmppEnvironment {
  return {
    name: 'test-env',
    xmppServerHosts: ['127.0.0.1'],
    xmppDomain: prosody.domain,
    baseUrl: `http://127.0.0.1:9/`,
    controlLogin: { domain: prosody.authDomain, username: 'jibri', password: JIBRI_PASSWORD, port: prosody.port },
    controlMuc: { domain: prosody.mucDomain, roomName: 'JibriBrewery', nickname: 'scriba' },
    callLogin: { domain: `recorder.${prosody.domain}`, username: 'recorder', password: CALL_PASSWORD },
    stripFromRoomDomain: 'conference.',
    usageTimeoutSec: 0,
    trustAllXmppCerts: true,
    ...overrides,
  };
}

/** A session the test drives by hand. */
class FakeSession implements SlotSession {
  readonly request: JobRequest;
  stopped = false;
  #capture!: () => void;
  #end!: (e: SlotSessionEnd) => void;
  readonly capturing = new Promise<void>((r) => (this.#capture = r));
  readonly ended = new Promise<SlotSessionEnd>((r) => (this.#end = r));
  readonly fileFinished = this.ended.then(() => undefined);
  constructor(request: JobRequest) {
    this.request = request;
  }
  capture(): void {
    this.#capture();
  }
  end(e: SlotSessionEnd = { ok: true }): void {
    this.#end(e);
  }
  stop(): void {
    this.stopped = true;
    setTimeout(() => this.end(), 100);
  }
}

interface Harness {
  readonly pool: BreweryPool;
  readonly sessions: FakeSession[];
  readonly lines: string[];
  fundable: number;
}

function harness(env: XmppEnvironment, slots = 1, roomName?: string, onExpired?: () => void): Harness {
  const { logger, lines } = memoryLogger();
  const sessions: FakeSession[] = [];
  const h: { fundable: number } = { fundable: slots };
  const e = roomName ? { ...env, controlMuc: { ...env.controlMuc, roomName } } : env;
  const pool = new BreweryPool({
    settings: { environments: [e], singleUseMode: onExpired !== undefined },
    ...(onExpired ? { onExpired } : {}),
    slots,
    policy: { allowedMeetingHosts: [], allowedStreamHosts: ['*'], allowHttp: true, defaultMaxDurationSec: 600, maxDurationCapSec: 3600 },
    logger,
    newId: () => `id-${sessions.length}`,
    fundable: () => h.fundable - sessions.filter((s) => !s.stopped).length,
    healthy: () => true,
    start: async (request) => {
      const s = new FakeSession(request);
      sessions.push(s);
      return s;
    },
    backoff: { initialMs: 200, maxMs: 1_000 },
  });
  pool.start();
  return Object.assign(h, { pool, sessions, lines });
}

const START = {
  action: 'start',
  recording_mode: 'file',
  room: 'myroom@conference.meet.test',
  session_id: 'abc123',
  app_data: JSON.stringify({ file_recording_metadata: { share: true, upload_credentials: { token: 'x' } } }),
};

describe('brewery protocol (Prosody + Jicofo stand-in)', () => {
  let jicofo: JicofoStandin;
  const room = (name: string): string => `${name}@${prosody.mucDomain}`;

  it('joins with idle presence; start → busy presence, pending; on; off; idle again; stop → off', async () => {
    const h = harness(environment(), 1, 'brewery1');
    jicofo = await JicofoStandin.start({
      port: prosody.port,
      authDomain: prosody.authDomain,
      roomJid: room('brewery1'),
      username: 'focus',
      password: FOCUS_PASSWORD,
    });
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      expect(jicofo.occupants().get('scriba')).toEqual({ busy: false, healthy: true });
      const reply = await jicofo.send('scriba', START);
      expect(reply).toEqual({ attrs: { status: 'pending' } });
      // Busy was published before the reply.
      const busyAt = jicofo.presences.find((p) => p.nick === 'scriba' && p.status?.busy === true)?.atMs;
      expect(busyAt).toBeDefined();
      expect(h.sessions).toHaveLength(1);
      const [session] = h.sessions;
      expect(session!.request).toMatchObject({ sessionId: 'abc123', xmppEnvironment: 'test-env', metadata: { share: true } });
      expect(session!.request.target.room).toBe('myroom');
      // A second start while busy: off + busy + should_retry true.
      expect(await jicofo.send('scriba', { ...START, session_id: 'other' })).toEqual({
        attrs: { status: 'off', failure_reason: 'busy', should_retry: 'true' },
      });
      session!.capture();
      expect(await jicofo.waitForStatusIq('scriba', 'on', 5_000)).not.toBeNull();
      // Stop: answered off once the session ended; then the final off IQ and idle presence.
      expect(await jicofo.send('scriba', { action: 'stop' })).toEqual({ attrs: { status: 'off' } });
      expect(session!.stopped).toBe(true);
      const off = await jicofo.waitForStatusIq('scriba', 'off', 5_000);
      expect(off?.attrs).toEqual({ status: 'off' });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      // The sequence Jicofo saw, in order.
      expect(jicofo.statusIqs.map((s) => s.attrs['status'])).toEqual(['on', 'off']);
      expect(h.lines.join('')).not.toMatch(/secret-pw|upload_credentials/);
    } finally {
      await jicofo.close();
      await h.pool.close();
    }
  });

  it('a failed session ends with off + error + should_retry; refusals and malformed IQs get the right answers', async () => {
    const h = harness(environment(), 1, 'brewery2');
    jicofo = await JicofoStandin.start({
      port: prosody.port,
      authDomain: prosody.authDomain,
      roomJid: room('brewery2'),
      username: 'focus',
      password: FOCUS_PASSWORD,
    });
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      // Unsupported modes and bad requests: off + error + should_retry false, no session.
      const refused = { status: 'off', failure_reason: 'error', should_retry: 'false' };
      expect(await jicofo.send('scriba', { ...START, sipaddress: 'sip:x@example.com' })).toEqual({ attrs: refused });
      expect(await jicofo.send('scriba', { ...START, recording_mode: 'sipgw' })).toEqual({ attrs: refused });
      expect(await jicofo.send('scriba', { action: 'start', recording_mode: 'file' })).toEqual({ attrs: refused });
      expect(await jicofo.send('scriba', { ...START, app_data: '{not json' })).toEqual({ attrs: refused });
      expect(await jicofo.send('scriba', { ...START, recording_mode: 'stream', streamid: 'rtmp://' })).toEqual({ attrs: refused });
      // Unknown action, and an IQ without a <jibri> child of the right namespace: bad-request.
      expect(await jicofo.send('scriba', { action: 'pause' })).toEqual({ error: 'bad-request' });
      expect(await jicofo.sendRaw('scriba', xml('jibri', { xmlns: 'urn:other', action: 'start' }))).toMatchObject({
        error: expect.any(String),
      });
      expect(h.sessions).toHaveLength(0);
      expect(jicofo.occupants().get('scriba')?.busy).toBe(false);
      // No capacity (API jobs took the CPU): the slot shows busy, and a start is refused busy.
      h.fundable = 0;
      h.pool.refresh();
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === true)).toBe(true);
      expect(await jicofo.send('scriba', START)).toEqual({ attrs: { status: 'off', failure_reason: 'busy', should_retry: 'true' } });
      h.fundable = 1;
      h.pool.refresh();
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      // A session that fails in a way a retry cannot help (e.g. a rejected stream key).
      expect(await jicofo.send('scriba', { ...START, session_id: 'fails' })).toEqual({ attrs: { status: 'pending' } });
      h.sessions[0]!.end({ ok: false, shouldRetry: false, message: 'stream key rejected' });
      const off = await jicofo.waitForStatusIq('scriba', 'off', 5_000);
      expect(off?.attrs).toEqual({ status: 'off', failure_reason: 'error', should_retry: 'false' });
      expect(jicofo.statusIqs.some((s) => s.attrs['status'] === 'on')).toBe(false);
    } finally {
      await jicofo.close();
      await h.pool.close();
    }
  });

  it('two slots are two occupants (<nick>, <nick>-2), each serving its own session and status IQs', async () => {
    const h = harness(environment(), 2, 'brewery3');
    jicofo = await JicofoStandin.start({
      port: prosody.port,
      authDomain: prosody.authDomain,
      roomJid: room('brewery3'),
      username: 'focus',
      password: FOCUS_PASSWORD,
    });
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false && o.get('scriba-2')?.busy === false)).toBe(true);
      expect(await jicofo.send('scriba', { ...START, session_id: 's1' })).toEqual({ attrs: { status: 'pending' } });
      expect(jicofo.pickIdle()).toBe('scriba-2');
      expect(await jicofo.send('scriba-2', { ...START, room: 'other@conference.meet.test', session_id: 's2' })).toEqual({
        attrs: { status: 'pending' },
      });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === true && o.get('scriba-2')?.busy === true)).toBe(true);
      h.sessions[1]!.capture();
      expect(await jicofo.waitForStatusIq('scriba-2', 'on', 5_000)).not.toBeNull();
      expect(jicofo.statusIqs.filter((s) => s.nick === 'scriba')).toHaveLength(0);
      h.sessions[0]!.capture();
      expect(await jicofo.waitForStatusIq('scriba', 'on', 5_000)).not.toBeNull();
      h.sessions[0]!.end();
      expect(await jicofo.waitForStatusIq('scriba', 'off', 5_000)).not.toBeNull();
      expect(jicofo.statusIqs.filter((s) => s.nick === 'scriba-2').map((s) => s.attrs['status'])).toEqual(['on']);
      h.sessions[1]!.end();
      expect(await jicofo.waitForStatusIq('scriba-2', 'off', 5_000)).not.toBeNull();
    } finally {
      await jicofo.close();
      await h.pool.close();
    }
  });

  it('a wrong password and a missing brewery give one clear log line each and keep retrying, secret-free', async () => {
    const wrong = harness(
      environment({ controlLogin: { domain: prosody.authDomain, username: 'jibri', password: 'wrong-secret-pw', port: prosody.port } }),
      1,
      'brewery4',
    );
    const badCert = harness(environment({ trustAllXmppCerts: false }), 1, 'brewery4');
    try {
      expect(await waitUntil(() => wrong.lines.some((l) => l.includes('refused the login')), 10_000)).toBe(true);
      expect(await waitUntil(() => badCert.lines.some((l) => l.includes('certificate was rejected')), 10_000)).toBe(true);
      expect(wrong.pool.view()[0]?.joined).toBe(false);
      expect([...wrong.lines, ...badCert.lines].join('')).not.toMatch(/secret-pw/);
    } finally {
      await wrong.pool.close();
      await badCert.pool.close();
    }
    const closedMuc = await startProsody({ accounts: { jibri: JIBRI_PASSWORD }, allowRoomCreation: false });
    try {
      const missing = harness({
        ...environment(),
        controlLogin: { domain: closedMuc.authDomain, username: 'jibri', password: JIBRI_PASSWORD, port: closedMuc.port },
        controlMuc: { domain: closedMuc.mucDomain, roomName: 'JibriBrewery', nickname: 'scriba' },
      });
      try {
        expect(await waitUntil(() => missing.lines.some((l) => l.includes('refused the join')), 10_000)).toBe(true);
        expect(missing.lines.find((l) => l.includes('refused the join'))).toMatch(/jibribrewery@internal\.auth\.meet\.test/);
      } finally {
        await missing.pool.close();
      }
    } finally {
      await closedMuc.close();
    }
  });

  it('usage-timeout bounds the session; single-use mode stays busy after the first session and says so once', async () => {
    let expired = 0;
    const h = harness(environment({ usageTimeoutSec: 90 }), 1, 'brewery6', () => expired++);
    jicofo = await JicofoStandin.start({
      port: prosody.port,
      authDomain: prosody.authDomain,
      roomJid: room('brewery6'),
      username: 'focus',
      password: FOCUS_PASSWORD,
    });
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      expect(await jicofo.send('scriba', START)).toEqual({ attrs: { status: 'pending' } });
      expect(h.sessions[0]!.request.maxDurationSec).toBe(90);
      h.sessions[0]!.capture();
      h.sessions[0]!.end();
      expect(await jicofo.waitForStatusIq('scriba', 'off', 5_000)).not.toBeNull();
      expect(await waitUntil(() => expired === 1, 5_000)).toBe(true);
      expect(jicofo.occupants().get('scriba')?.busy).toBe(true);
      expect(await jicofo.send('scriba', { ...START, session_id: 'again' })).toEqual({
        attrs: { status: 'off', failure_reason: 'busy', should_retry: 'true' },
      });
      expect(h.sessions).toHaveLength(1);
      expect(expired).toBe(1);
    } finally {
      await jicofo.close();
      await h.pool.close();
    }
  });

  it('Prosody restarts mid-session: the session stops (Jicofo moved on), the occupant rejoins and is idle again', async () => {
    const h = harness(environment(), 1, 'brewery5');
    jicofo = await JicofoStandin.start({
      port: prosody.port,
      authDomain: prosody.authDomain,
      roomJid: room('brewery5'),
      username: 'focus',
      password: FOCUS_PASSWORD,
    });
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      expect(await jicofo.send('scriba', START)).toEqual({ attrs: { status: 'pending' } });
      h.sessions[0]!.capture();
      expect(await jicofo.waitForStatusIq('scriba', 'on', 5_000)).not.toBeNull();
      await jicofo.close();
      await prosody.restart();
      expect(await waitUntil(() => h.sessions[0]!.stopped, 10_000)).toBe(true);
      expect(h.lines.some((l) => l.includes('lost the brewery connection'))).toBe(true);
      jicofo = await JicofoStandin.start({
        port: prosody.port,
        authDomain: prosody.authDomain,
        roomJid: room('brewery5'),
        username: 'focus',
        password: FOCUS_PASSWORD,
      });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false, 15_000)).toBe(true);
      expect(await waitUntil(() => h.pool.view()[0]?.joined === true, 5_000)).toBe(true);
      expect(h.pool.view()[0]).toMatchObject({ busy: false, serving: false });
      // No status IQ for the lost session reached the new Jicofo connection.
      expect(jicofo.statusIqs).toHaveLength(0);
    } finally {
      await jicofo.close();
      await h.pool.close();
    }
  });
});
