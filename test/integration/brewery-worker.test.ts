/**
 * Scriba's real worker in a Jibri brewery: a private Prosody, the Jicofo stand-in, the synthetic meeting,
 * Chromium and ffmpeg. Sessions Jicofo starts run through the same queue and processor as API jobs: two at
 * once on two occupants, exclusive per room and mode with API jobs, a busy refusal, a livestream and a
 * rejected stream key, and a worker killed mid-session.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { roomTag } from '../../src/domain/session-keys.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { startApi } from '../../workers/api.ts';
import { startWorker, type RunningWorker } from '../../workers/worker.ts';
import { spawnCli } from '../helpers/cli.ts';
import { JicofoStandin } from '../helpers/jicofo-standin.ts';
import { mintHs, TEST_SECRET } from '../helpers/jwt.ts';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';
import { startProsody, type Prosody } from '../helpers/prosody.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';

const JIBRI_PASSWORD = 'jibri-secret-pw-1';
const FOCUS_PASSWORD = 'focus-secret-pw-2';

let prosody: Prosody;
let meeting: DemoMeeting;
let nginx: NginxRtmp;
beforeAll(async () => {
  [prosody, meeting, nginx] = await Promise.all([
    startProsody({ accounts: { jibri: JIBRI_PASSWORD, focus: FOCUS_PASSWORD } }),
    startDemoMeeting({ port: 0 }),
    startNginxRtmp(),
  ]);
});
afterAll(async () => {
  await Promise.all([prosody?.close(), meeting?.close(), nginx?.close()]);
});

function xmppSection(roomName: string): Record<string, unknown> {
  return {
    singleUseMode: false,
    environments: [
      {
        name: 'local',
        xmppServerHosts: ['127.0.0.1'],
        xmppDomain: prosody.domain,
        baseUrl: meeting.url,
        controlLogin: { domain: prosody.authDomain, username: 'jibri', password: JIBRI_PASSWORD, port: prosody.port },
        controlMuc: { domain: prosody.mucDomain, roomName, nickname: 'scriba' },
        trustAllXmppCerts: true,
      },
    ],
  };
}

const focus = (roomName: string): Promise<JicofoStandin> =>
  JicofoStandin.start({
    port: prosody.port,
    authDomain: prosody.authDomain,
    roomJid: `${roomName}@${prosody.mucDomain}`,
    username: 'focus',
    password: FOCUS_PASSWORD,
  });

const start = (room: string, sessionId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  action: 'start',
  recording_mode: 'file',
  room: `${room}@conference.${prosody.domain}`,
  session_id: sessionId,
  app_data: JSON.stringify({ file_recording_metadata: { share: true, brewery_test: sessionId } }),
  ...extra,
});

describe('the worker in a Jibri brewery', () => {
  it('two file recordings at once on two occupants: pending → on → off, presence idle → busy → idle, playable files', async () => {
    const receiver = await startWebhookReceiver();
    const config = testConfig({
      worker: { cores: 1.5, port: 0 },
      xmpp: xmppSection('brewery-files'),
      webhooks: { urls: [receiver.url('/hooks')], allowPrivateAddresses: true, initialBackoffMs: 100 },
      meeting: { allowHttp: true },
      api: { port: 0 },
      auth: { enabled: true, algorithms: ['HS256'], secrets: [TEST_SECRET], issuers: ['my-app'], audiences: ['jitsi'] },
    });
    const { logger, lines } = memoryLogger();
    const worker: RunningWorker = await startWorker(config, logger);
    const api = await startApi({ ...config, worker: { ...config.worker, allowedMeetingHosts: ['127.0.0.1:*'] } }, logger, worker.queue);
    const now = Math.floor(Date.now() / 1000);
    const token = await mintHs({
      iss: 'my-app',
      aud: 'jitsi',
      sub: '*',
      room: '*',
      nbf: now - 10,
      exp: now + 600,
      context: { user: { id: 'mod', moderator: true }, features: { recording: 'true' } },
    });
    const authz = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const jicofo = await focus('brewery-files');
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false && o.get('scriba-2')?.busy === false)).toBe(true);
      expect(await jicofo.send('scriba', start('BrewA', 'sess-a'))).toEqual({ attrs: { status: 'pending' } });
      // The same room and mode is already recording: no other recorder could help.
      expect(await jicofo.send('scriba-2', start('brewa', 'sess-dup'))).toEqual({
        attrs: { status: 'off', failure_reason: 'error', should_retry: 'false' },
      });
      expect(await jicofo.send('scriba-2', start('BrewB', 'sess-b'))).toEqual({ attrs: { status: 'pending' } });
      // Both slots serve a session: a further start is refused busy, retry elsewhere.
      expect(await jicofo.send('scriba', start('BrewC', 'sess-c'))).toEqual({
        attrs: { status: 'off', failure_reason: 'busy', should_retry: 'true' },
      });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === true && o.get('scriba-2')?.busy === true)).toBe(true);
      // Jicofo waits 90 s for `on`.
      expect(await jicofo.waitForStatusIq('scriba', 'on', 90_000)).not.toBeNull();
      expect(await jicofo.waitForStatusIq('scriba-2', 'on', 90_000)).not.toBeNull();
      // Listed by room like API sessions, and in the worker's Jibri health.
      expect((await worker.queue.list({ tag: roomTag(null, 'brewa') })).map((j) => j.id)).toEqual(['sess-a']);
      const listed = (await (await fetch(`${api.url}/v1/sessions?room=BrewA`, { headers: authz })).json()) as {
        sessions: { id: string }[];
      };
      expect(listed.sessions.map((x) => x.id)).toEqual(['sess-a']);
      // The one-session-per-room-and-mode rule spans both start paths.
      const clash = await fetch(`${api.url}/v1/sessions`, {
        method: 'POST',
        headers: authz,
        body: JSON.stringify({ meetingUrl: `${meeting.url}/BrewA`, mode: 'file' }),
      });
      expect(clash.status).toBe(409);
      expect(await (await fetch(`${worker.url}/jibri/api/v1.0/health`)).json()).toMatchObject({ status: { busyStatus: 'BUSY' } });
      await new Promise((r) => setTimeout(r, 4_000));
      const [stopA, stopB] = await Promise.all([jicofo.send('scriba', { action: 'stop' }), jicofo.send('scriba-2', { action: 'stop' })]);
      expect(stopA).toEqual({ attrs: { status: 'off' } });
      expect(stopB).toEqual({ attrs: { status: 'off' } });
      expect(await jicofo.waitForStatusIq('scriba', 'off', 30_000)).toMatchObject({ attrs: { status: 'off' } });
      expect(await jicofo.waitForStatusIq('scriba-2', 'off', 30_000)).toMatchObject({ attrs: { status: 'off' } });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false && o.get('scriba-2')?.busy === false)).toBe(true);
      for (const nick of ['scriba', 'scriba-2']) {
        const seen = jicofo.presences.filter((p) => p.nick === nick).map((p) => (p.status?.busy ? 'busy' : 'idle'));
        expect(seen.filter((s, i) => i === 0 || s !== seen[i - 1])).toEqual(['idle', 'busy', 'idle']);
        expect(jicofo.statusIqs.filter((s) => s.nick === nick).map((s) => s.attrs['status'])).toEqual(['on', 'off']);
      }
      for (const id of ['sess-a', 'sess-b']) {
        const record = await worker.queue.get(id);
        expect(record).toMatchObject({ status: 'completed', attempts: 1 });
        const path = (record!.result as { path: string }).path;
        const media = await probeMedia(path);
        expect(media.video?.codec).toBe('h264');
        expect(media.durationSec).toBeGreaterThan(2);
        const metadata = JSON.parse(readFileSync(join(dirname(path), 'metadata.json'), 'utf8')) as Record<string, unknown>;
        expect(metadata).toMatchObject({ share: true, brewery_test: id });
        expect(String(metadata['meeting_url'])).toMatch(/\/Brew[AB]$/);
      }
      // The same metrics and signed webhooks as API sessions, with the IQ's metadata.
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/scriba_jobs_started_total\{kind="file"\} 2/);
      const events = () => receiver.acknowledged().map((r) => JSON.parse(r.rawBody) as { eventType: string; sessionId: string });
      expect(await waitUntil(() => events().filter((e) => e.eventType === 'RECORDING_ENDED').length === 2, 15_000)).toBe(true);
      expect(
        events()
          .filter((e) => e.sessionId === 'sess-a')
          .map((e) => e.eventType),
      ).toEqual(expect.arrayContaining(['RECORDING_STARTED', 'RECORDING_ENDED']));
      expect(lines.join('')).not.toMatch(/secret-pw/);
    } finally {
      await jicofo.close();
      await api.close();
      await worker.shutdown(1000);
      await receiver.stop();
    }
  });

  it('a livestream to nginx-rtmp, and a rejected stream key ends with off + error + should_retry false', async () => {
    const config = testConfig({ worker: { cores: 0.8, port: 0, allowedStreamHosts: ['127.0.0.1'] }, xmpp: xmppSection('brewery-stream') });
    const worker = await startWorker(config, memoryLogger().logger);
    const jicofo = await focus('brewery-stream');
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      expect([...jicofo.occupants().keys()]).toEqual(['scriba']);
      expect(await jicofo.send('scriba', start('Live', 'sess-live', { recording_mode: 'stream', streamid: nginx.url('brewkey') }))).toEqual(
        { attrs: { status: 'pending' } },
      );
      expect(await jicofo.waitForStatusIq('scriba', 'on', 90_000)).not.toBeNull();
      expect(await waitUntil(() => nginx.publishAttempts('brewkey') >= 1, 20_000)).toBe(true);
      expect(await jicofo.send('scriba', { action: 'stop' })).toEqual({ attrs: { status: 'off' } });
      expect(await jicofo.waitForStatusIq('scriba', 'off', 30_000)).toMatchObject({ attrs: { status: 'off' } });
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false, 30_000)).toBe(true);
      jicofo.statusIqs.length = 0;
      expect(await jicofo.send('scriba', start('Live', 'sess-bad', { recording_mode: 'stream', streamid: nginx.url('bad') }))).toEqual({
        attrs: { status: 'pending' },
      });
      const off = await jicofo.waitForStatusIq('scriba', 'off', 90_000);
      expect(off?.attrs).toEqual({ status: 'off', failure_reason: 'error', should_retry: 'false' });
      expect(await worker.queue.get('sess-bad')).toMatchObject({ status: 'failed', attempts: 1 });
    } finally {
      await jicofo.close();
      await worker.shutdown(1000);
    }
  });

  it('Prosody restarts mid-session: the recording stops cleanly with a playable file, the occupant rejoins idle', async () => {
    const config = testConfig({ worker: { cores: 0.8, port: 0 }, xmpp: xmppSection('brewery-restart') });
    const { logger, lines } = memoryLogger();
    const worker = await startWorker(config, logger);
    let jicofo = await focus('brewery-restart');
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false)).toBe(true);
      expect(await jicofo.send('scriba', start('Restart', 'sess-restart'))).toEqual({ attrs: { status: 'pending' } });
      expect(await jicofo.waitForStatusIq('scriba', 'on', 90_000)).not.toBeNull();
      await new Promise((r) => setTimeout(r, 3_000));
      await jicofo.close();
      await prosody.restart();
      expect(await waitUntil(async () => (await worker.queue.get('sess-restart'))?.status === 'completed', 30_000)).toBe(true);
      const media = await probeMedia(((await worker.queue.get('sess-restart'))!.result as { path: string }).path);
      expect(media.video?.codec).toBe('h264');
      expect(lines.join('')).toMatch(/lost the brewery connection/);
      jicofo = await focus('brewery-restart');
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false, 20_000)).toBe(true);
    } finally {
      await jicofo.close();
      await worker.shutdown(1000);
    }
  });

  it('a worker killed mid-session leaves the brewery; its job is not recorded again elsewhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-brewery-'));
    const config = testConfig({ xmpp: xmppSection('brewery-kill') });
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ xmpp: xmppSection('brewery-kill') }));
    const jicofo = await focus('brewery-kill');
    const child = spawnCli(['worker'], {
      ...process.env,
      SCRIBA_CONFIG: configFile,
      SCRIBA_QUEUE_SQLITE_PATH: config.queue.sqlitePath,
      SCRIBA_QUEUE_LEASE_SEC: '3',
      SCRIBA_RECORDINGS_DIR: config.recordingsDir,
      SCRIBA_STORAGE_BACKEND: 'none',
      SCRIBA_WEBHOOK_OUTBOX_PATH: config.webhooks.outboxPath,
      SCRIBA_WORK_DIR: config.workDir,
      SCRIBA_WORKER_PORT: '0',
      SCRIBA_LOG_LEVEL: 'info',
    });
    let rescuer: RunningWorker | null = null;
    try {
      expect(await jicofo.waitForOccupants((o) => o.get('scriba')?.busy === false, 30_000)).toBe(true);
      expect(await jicofo.send('scriba', start('Killed', 'sess-kill'))).toEqual({ attrs: { status: 'pending' } });
      expect(await jicofo.waitForStatusIq('scriba', 'on', 90_000)).not.toBeNull();
      expect(await killTree(child.child.pid!)).toBe(true);
      expect(await waitUntil(() => jicofo.presences.some((p) => p.nick === 'scriba' && p.status === null), 10_000)).toBe(true);
      // Another worker on the same queue recovers the job after its lease and fails it instead of recording.
      rescuer = await startWorker(
        testConfig({ queue: { sqlitePath: config.queue.sqlitePath, leaseSec: 3 }, worker: { port: 0 } }),
        memoryLogger().logger,
      );
      expect(await waitUntil(async () => (await rescuer!.queue.get('sess-kill'))?.status === 'failed', 30_000)).toBe(true);
      expect((await rescuer.queue.get('sess-kill'))?.error?.message).toMatch(/brewery session was lost/);
      expect(existsSync(join(config.recordingsDir, 'sess-kill'))).toBe(true);
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) await killTree(child.child.pid!);
      await rescuer?.shutdown(1000);
      await jicofo.close();
    }
  });
});
