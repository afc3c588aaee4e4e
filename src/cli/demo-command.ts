/**
 * `npm run demo`: the whole product on embedded defaults. Starts the synthetic meeting, `scriba serve` (API
 * and worker on the embedded queue) and a local webhook receiver; starts a recording through the API with a
 * development token, stops it after the given seconds, prints the signed webhooks as they arrive, then the
 * file and what ffprobe says about it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { loadConfig } from '../config/config.ts';
import { startDemoMeeting } from '../demo-meeting/demo-meeting-server.ts';
import { probeMedia, measureAudioLevel } from '../ffmpeg/index.ts';
import { sleep } from '../lib/abort.ts';
import { createLogger } from '../log/logger.ts';
import { startServe } from '../../workers/serve.ts';
import { startDemoReceiver, type ReceivedEvent } from './demo-receiver.ts';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** A development token: HS256 with the demo's own random secret, moderator of every room, recording allowed. */
function devToken(secret: string): Promise<string> {
  return new SignJWT({
    room: '*',
    context: {
      user: { id: 'demo-moderator', name: 'Demo Moderator', moderator: true },
      features: { recording: true, livestreaming: true },
    },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('scriba-demo')
    .setAudience('jitsi')
    .setSubject('*')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

function describeEvent(e: ReceivedEvent): string {
  const data = JSON.stringify(e.body['data']);
  return `  webhook ${e.eventType.padEnd(20)} signature ${e.signatureValid ? 'valid' : 'INVALID'}  ${data}`;
}

export async function runDemo(opts: { seconds: number }): Promise<number> {
  if (!Number.isFinite(opts.seconds) || opts.seconds <= 0) {
    process.stderr.write('--seconds must be positive\n');
    return 2;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'scriba-demo-'));
  const jwtSecret = randomBytes(32).toString('hex');
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startDemoReceiver(webhookSecret, (e) => out(describeEvent(e)));
  const meeting = await startDemoMeeting({ port: 0 });
  const config = loadConfig({
    overrides: {
      logLevel: 'warn', // the demo prints its own story; JSON log lines would drown it
      meeting: { allowHttp: true },
      checks: { maxDurationSec: Math.ceil(opts.seconds) + 60 },
      queue: { backend: 'sqlite', sqlitePath: join(scratch, 'queue.sqlite') },
      worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'] },
      api: { port: 0 },
      auth: { enabled: true, algorithms: ['HS256'], secrets: [jwtSecret], issuers: ['scriba-demo'], audiences: ['jitsi'] },
      webhooks: {
        urls: [receiver.url],
        secret: webhookSecret,
        outboxPath: join(scratch, 'webhooks.sqlite'),
        allowPrivateAddresses: true,
        initialBackoffMs: 200,
      },
      // Uploaded while recording into the local store under ./data/store; links served by the API.
      storage: { backend: 'local', local: { linkSecrets: [randomBytes(32).toString('hex')] } },
    },
  });
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const { api, shutdown } = await startServe(config, logger);
  try {
    const meetingUrl = `${meeting.url}/demo-room?participants=3`;
    const auth = { authorization: `Bearer ${await devToken(jwtSecret)}`, 'content-type': 'application/json' };
    out(`Synthetic meeting: ${meetingUrl}`);
    out(`Scriba API:        ${api.url}/v1/openapi.json   webhooks → ${receiver.url}`);
    out(`POST ${api.url}/v1/sessions {"meetingUrl": "…", "mode": "file"}`);
    const started = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ meetingUrl, mode: 'file' }),
    });
    const session = (await started.json()) as { id?: string; error?: { message: string } };
    if (started.status !== 201 || session.id === undefined) {
      process.stderr.write(`demo failed: the API answered ${started.status}: ${session.error?.message ?? ''}\n`);
      return 1;
    }
    out(`  → ${started.status} session ${session.id}; recording ${opts.seconds} s…`);
    await receiver.waitFor('RECORDING_STARTED', AbortSignal.timeout(60_000));
    await sleep(opts.seconds * 1000);
    const stop = await fetch(`${api.url}/v1/sessions/${session.id}/stop`, {
      method: 'POST',
      headers: { authorization: auth.authorization },
    });
    out(`POST /v1/sessions/${session.id}/stop → ${stop.status}`);
    const uploaded = await receiver.waitFor('RECORDING_UPLOADED', AbortSignal.timeout(120_000));
    const link = (uploaded.body['data'] as { preAuthenticatedLink?: string }).preAuthenticatedLink ?? '';
    // Download through the link, as a user would, and look at what arrived.
    const download = await fetch(link);
    if (!download.ok) {
      process.stderr.write(`demo failed: the link answered ${download.status}\n`);
      return 1;
    }
    await mkdir('recordings', { recursive: true });
    const path = join('recordings', `demo-${session.id}.mp4`);
    await writeFile(path, Buffer.from(await download.arrayBuffer()));
    const media = await probeMedia(path);
    const level = await measureAudioLevel(path);
    const v = media.video;
    const a = media.audio;
    out(
      [
        `Link:     ${link}`,
        `          valid ${Math.round(config.storage.linkTtlSec / 3600)} h while Scriba serves it; the demo's server stops now, so it was`,
        `          downloaded through the link to ${path} (the recording's local copy went once the upload was verified)`,
        `Format:   ${media.formatName}, ${media.durationSec.toFixed(2)} s, ${(media.sizeBytes / 1024 / 1024).toFixed(1)} MB`,
        `Video:    ${v ? `${v.codec} ${v.width}x${v.height} @ ${v.avgFps.toFixed(2)} fps` : 'none'}`,
        `Audio:    ${a ? `${a.codec} ${a.sampleRate} Hz ${a.channels} ch, mean ${level.meanDb.toFixed(1)} dB, max ${level.maxDb.toFixed(1)} dB` : 'none'}`,
        `Webhooks: ${receiver.events.map((e) => e.eventType).join(', ')} (all signatures ${receiver.events.every((e) => e.signatureValid) ? 'valid' : 'NOT valid'})`,
      ].join('\n'),
    );
    return 0;
  } finally {
    await shutdown(10_000);
    await meeting.close();
    await receiver.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
