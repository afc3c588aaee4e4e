/**
 * `npm run demo:jitsi`: Scriba as a Jibri. Starts a private Prosody laid out like a Jitsi deployment's
 * internal side (on free loopback ports, its own config and data directory), the synthetic meeting and a
 * Scriba worker that joins the brewery; then a Jicofo stand-in asks for one recording exactly as Jicofo does
 * (start IQ, wait for `on`, stop IQ) and the demo prints the protocol as it happens and the file's summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.ts';
import { startDemoMeeting } from '../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia } from '../src/ffmpeg/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { startWorker } from '../workers/worker.ts';
import { JicofoStandin } from '../test/helpers/jicofo-standin.ts';
import { startProsody } from '../test/helpers/prosody.ts';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const seconds = Number(process.argv[2] ?? '20');
if (!Number.isFinite(seconds) || seconds <= 0) {
  process.stderr.write('usage: npm run demo:jitsi [-- SECONDS]\n');
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'scriba-demo-jitsi-'));
const jibriPassword = randomBytes(12).toString('hex');
const focusPassword = randomBytes(12).toString('hex');
const prosody = await startProsody({ accounts: { jibri: jibriPassword, focus: focusPassword } });
const meeting = await startDemoMeeting({ port: 0 });
const brewery = 'JibriBrewery';
const config = loadConfig({
  overrides: {
    logLevel: 'warn',
    recordingsDir: join(process.cwd(), 'recordings'),
    workDir: join(scratch, 'work'),
    queue: { backend: 'sqlite', sqlitePath: join(scratch, 'queue.sqlite') },
    webhooks: { outboxPath: join(scratch, 'webhooks.sqlite') },
    storage: { backend: 'none' },
    worker: { port: 0 },
    xmpp: {
      singleUseMode: false,
      environments: [
        {
          name: 'demo',
          xmppServerHosts: ['127.0.0.1'],
          xmppDomain: prosody.domain,
          baseUrl: meeting.url,
          controlLogin: { domain: prosody.authDomain, username: 'jibri', password: jibriPassword, port: prosody.port },
          controlMuc: { domain: prosody.mucDomain, roomName: brewery, nickname: 'scriba' },
          trustAllXmppCerts: true, // the private Prosody's certificate is self-signed
        },
      ],
    },
  },
});
const worker = await startWorker(config, createLogger({ level: config.logLevel, destination: process.stderr as never }));
const jicofo = await JicofoStandin.start({
  port: prosody.port,
  authDomain: prosody.authDomain,
  roomJid: `${brewery}@${prosody.mucDomain}`,
  username: 'focus',
  password: focusPassword,
});
let code = 1;
try {
  out(`Prosody:   127.0.0.1:${prosody.port} (domain ${prosody.domain}, brewery ${brewery.toLowerCase()}@${prosody.mucDomain})`);
  out(`Meeting:   ${meeting.url}/DemoRoom`);
  if (!(await jicofo.waitForOccupants((o) => [...o.values()].some((s) => !s.busy && s.healthy), 30_000)))
    throw new Error('no idle occupant joined the brewery');
  for (const [nick, s] of jicofo.occupants()) out(`Occupant:  ${nick} ${s.busy ? 'busy' : 'idle'}, ${s.healthy ? 'healthy' : 'unhealthy'}`);
  const nick = jicofo.pickIdle()!;
  const start = {
    action: 'start',
    recording_mode: 'file',
    room: `demoroom@conference.${prosody.domain}`,
    session_id: `demo-${randomBytes(4).toString('hex')}`,
    app_data: JSON.stringify({ file_recording_metadata: { share: true } }),
  };
  out(`focus → ${nick}: <jibri action="start" recording_mode="file" room="${start.room}" session_id="${start.session_id}"/>`);
  const t0 = Date.now();
  out(
    `  reply: ${JSON.stringify(await jicofo.send(nick, start))} after ${Date.now() - t0} ms; presence now ${jicofo.occupants().get(nick)?.busy ? 'busy' : 'idle'}`,
  );
  if ((await jicofo.waitForStatusIq(nick, 'on', 90_000)) === null) throw new Error('no status="on" within 90 s');
  out(`${nick} → focus: <jibri status="on"/> after ${((Date.now() - t0) / 1000).toFixed(1)} s; recording ${seconds} s…`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  out(`focus → ${nick}: <jibri action="stop"/>`);
  out(`  reply: ${JSON.stringify(await jicofo.send(nick, { action: 'stop' }))}`);
  const off = await jicofo.waitForStatusIq(nick, 'off', 60_000);
  out(
    `${nick} → focus: <jibri ${Object.entries(off?.attrs ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join(' ')}/>`,
  );
  await jicofo.waitForOccupants((o) => o.get(nick)?.busy === false, 10_000);
  out(
    `Presence:  ${jicofo.presences
      .filter((p) => p.nick === nick)
      .map((p) => (p.status === null ? 'left' : p.status.busy ? 'busy' : 'idle'))
      .join(' → ')}`,
  );
  const record = await worker.queue.get(start.session_id);
  const path = (record?.result as { path?: string } | null)?.path;
  if (record?.status !== 'completed' || !path)
    throw new Error(`the session ended ${record?.status ?? 'unknown'}: ${record?.error?.message ?? ''}`);
  const media = await probeMedia(path);
  out(`File:      ${path}`);
  out(
    `           ${media.formatName}, ${media.durationSec.toFixed(2)} s, video ${media.video ? `${media.video.codec} ${media.video.width}x${media.video.height}` : 'none'}, audio ${media.audio?.codec ?? 'none'}`,
  );
  code = 0;
} catch (err) {
  process.stderr.write(`demo:jitsi failed: ${(err as Error).message}\n`);
} finally {
  await jicofo.close();
  await worker.shutdown(10_000);
  await meeting.close();
  await prosody.close();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
