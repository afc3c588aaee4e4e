/**
 * npm run bench:storage — stop → RECORDING_UPLOADED latency for 720p recordings of 1, 5 and 10 minutes of the
 * 3-participant synthetic meeting, through the whole worker (API, embedded queue, upload while recording
 * into an S3-compatible server on loopback, s3rver). Writes bench/results/storage.json.
 * BENCH_STORAGE_MINUTES=1,5,10 (default) picks the lengths.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemoMeeting } from '../src/demo-meeting/demo-meeting-server.ts';
import { createLogger } from '../src/log/logger.ts';
import { createS3Store } from '../src/storage/s3-store.ts';
import { startApi } from '../workers/api.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import { startWorker } from '../workers/worker.ts';
import { S3RVER_CREDENTIALS, startS3Server } from '../test/helpers/s3-server.ts';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver.ts';
import { benchConfig } from './lib/bench-config.ts';

const minutes = (process.env['BENCH_STORAGE_MINUTES'] ?? '1,5,10')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const meeting = await startDemoMeeting({ port: 0 });
const s3 = await startS3Server();
const receiver = await startWebhookReceiver();
const { config } = benchConfig('storage', {
  auth: { enabled: false },
  storage: { backend: 's3' },
  webhooks: { urls: [receiver.url('/hooks')], allowPrivateAddresses: true, initialBackoffMs: 100 },
});
const logger = createLogger({ level: 'warn', destination: process.stderr as never });
const store = createS3Store({
  bucket: s3.bucket,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentials: S3RVER_CREDENTIALS,
  prefix: 'recordings',
});
const queue = createQueue(config);
const worker = await startWorker(config, logger, queue, { store: { store, local: null } });
const api = await startApi(config, logger, queue);

interface Run {
  readonly minutes: number;
  readonly stopToUploadedMs: number;
  readonly stopToEndedMs: number;
  readonly sizeBytes: number;
  readonly durationSec: number;
}

function arrival(type: string, id: string): number | null {
  const hit = receiver.acknowledged().find((r) => {
    const e = JSON.parse(r.rawBody) as { eventType: string; sessionId: string };
    return e.eventType === type && e.sessionId === id;
  });
  return hit ? hit.atMs : null;
}

const runs: Run[] = [];
try {
  for (const m of minutes) {
    process.stderr.write(`bench: recording ${m} min…\n`);
    const res = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ meetingUrl: `${meeting.url}/bench-storage-${m}?participants=3`, mode: 'file' }),
    });
    const { id } = (await res.json()) as { id: string };
    while (worker.sessionStates().get(id) !== 'running') await sleep(50);
    await sleep(m * 60_000);
    const stopAt = Date.now();
    await fetch(`${api.url}/v1/sessions/${id}/stop`, { method: 'POST' });
    while (arrival('RECORDING_UPLOADED', id) === null) await sleep(20);
    const uploaded = receiver.acknowledged().find((r) => r.rawBody.includes('RECORDING_UPLOADED') && r.rawBody.includes(id))!;
    const data = (JSON.parse(uploaded.rawBody) as { data: { durationSec: number; preAuthenticatedLink: string } }).data;
    const head = await store.head((await queue.get(id).then((r) => (r?.result as { key?: string } | null)?.key)) ?? '');
    runs.push({
      minutes: m,
      stopToUploadedMs: arrival('RECORDING_UPLOADED', id)! - stopAt,
      stopToEndedMs: (arrival('RECORDING_ENDED', id) ?? stopAt) - stopAt,
      sizeBytes: head?.size ?? 0,
      durationSec: data.durationSec,
    });
    process.stderr.write(`bench: ${JSON.stringify(runs[runs.length - 1])}\n`);
  }
} finally {
  await api.close();
  await worker.shutdown(10_000);
  await receiver.stop();
  await s3.close();
  await meeting.close();
}

const report = {
  benchmark: 'storage',
  measured:
    'stop → RECORDING_UPLOADED: from the stop request (POST /v1/sessions/:id/stop) to the webhook arriving at a local receiver, for 720p30 recordings of the 3-participant synthetic meeting uploaded while recording (8 MiB parts) into s3rver on loopback; stopToEndedMs is stop → RECORDING_ENDED (ffmpeg stopped, file finished) for comparison',
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  date: new Date().toISOString(),
  aim: 'stopToUploadedMs <= 5000 and flat in the length',
  runs,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/storage.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(runs)}\n`);
