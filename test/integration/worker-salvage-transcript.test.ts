/**
 * A worker pod dies mid-recording of a transcribed session (SIGKILL of its whole process tree): the phrases
 * it had recognized up to a few seconds before are not lost. Another worker salvages segment 1's transcript
 * from the journal checkpointed in the job, announces it (TRANSCRIPTION_UPLOADED, segment 1, partial), and
 * records and transcribes segment 2. Real Redis (BullMQ), s3rver, pocketsphinx, two real worker processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { createBullmqQueue } from '../../src/queue/bullmq-queue.ts';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { spawnCli, type CliProcess } from '../helpers/cli.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';
import { testConfig } from '../helpers/recording.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

let meeting: DemoMeeting;
let redis: RedisServer;
let s3: S3TestServer;
let receiver: WebhookReceiver;
let queue: JobQueue<JobRequest>;
const QUEUE_NAME = 'scriba-salvage-transcript';

beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
  redis = await startRedis();
  s3 = await startS3Server();
  receiver = await startWebhookReceiver();
  queue = createBullmqQueue<JobRequest>({ connection: { url: redis.url }, queueName: QUEUE_NAME, timing: { leaseMs: 3000 } });
});
afterAll(async () => {
  await queue?.close();
  await receiver?.stop();
  await s3?.close();
  await redis?.stop();
  await meeting?.close();
});

/** A worker process as a pod would run it: its own recordings and work directories, S3, Redis. */
function startWorker(name: string): CliProcess {
  const dir = mkdtempSync(join(tmpdir(), `scriba-pod-${name}-`));
  return spawnCli(['worker'], {
    ...process.env,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    SCRIBA_QUEUE_BACKEND: 'bullmq',
    SCRIBA_REDIS_URL: redis.url,
    SCRIBA_QUEUE_NAME: QUEUE_NAME,
    SCRIBA_QUEUE_LEASE_SEC: '3',
    SCRIBA_RECORDINGS_DIR: join(dir, 'recordings'),
    SCRIBA_WORK_DIR: join(dir, 'work'),
    SCRIBA_STORAGE_BACKEND: 's3',
    SCRIBA_S3_BUCKET: s3.bucket,
    SCRIBA_S3_ENDPOINT: s3.endpoint,
    SCRIBA_S3_FORCE_PATH_STYLE: 'true',
    SCRIBA_S3_REGION: 'us-east-1',
    SCRIBA_STORAGE_TAIL_INTERVAL_SEC: '3',
    SCRIBA_WEBHOOK_URLS: receiver.url(`/hooks/${name}`),
    SCRIBA_WEBHOOK_ALLOW_PRIVATE: 'true',
    SCRIBA_WEBHOOK_OUTBOX_PATH: join(dir, 'outbox.sqlite'),
    SCRIBA_WORKER_PORT: '0',
    SCRIBA_WORKER_CORES: '0.9',
    SCRIBA_LOG_LEVEL: 'info',
  });
}

type Event = { eventType: string; sessionId: string; data: Record<string, any> };
const eventsOf = (sessionId: string): Event[] =>
  receiver
    .acknowledged()
    .map((r) => JSON.parse(r.rawBody) as Event)
    .filter((e) => e.sessionId === sessionId);

async function enqueue(sessionId: string, seconds: number): Promise<void> {
  const config = testConfig();
  const request = parseJobRequest(
    { sessionId, meetingUrl: `${meeting.url}/${sessionId}?participants=3`, file: true, transcription: true, maxDurationSec: seconds },
    { ...jobPolicy(config), allowHttp: true },
    () => sessionId,
  );
  await queue.enqueue(request, { jobId: sessionId });
}

type Chunk = { text: string; atMs: number };
/** The phrases a worker sent as TRANSCRIPTION_CHUNK_RECEIVED, with when they arrived. */
const chunksFrom = (name: string, sessionId: string): Chunk[] =>
  receiver
    .acknowledged()
    .filter((r) => r.path === `/hooks/${name}`)
    .map((r) => ({ event: JSON.parse(r.rawBody) as Event, atMs: r.atMs }))
    .filter(({ event }) => event.sessionId === sessionId && event.eventType === 'TRANSCRIPTION_CHUNK_RECEIVED')
    .map(({ event, atMs }) => ({ text: event.data['final'] as string, atMs }));

describe('a worker killed mid-session while transcribing', () => {
  it("salvages segment 1's transcript with the phrases said before the kill, then transcribes segment 2", {
    timeout: 240_000,
  }, async () => {
    const id = 'salvage-tx';
    await enqueue(id, 20);
    const a = startWorker('ta');
    let b: CliProcess | null = null;
    try {
      expect(await waitUntil(() => a.stderr().includes('session running'), 60_000), a.stderr()).toBe(true);
      const runningAt = Date.now();
      // A few phrases, and long enough after them for the journal's checkpoints (every 3 s) to cover them.
      expect(await waitUntil(() => chunksFrom('ta', id).length >= 3 && Date.now() - runningAt > 18_000, 60_000)).toBe(true);
      const killedAt = Date.now();
      expect(await killTree(a.child.pid!)).toBe(true);
      const before = chunksFrom('ta', id);
      // Sent at least a checkpoint interval plus a poll before the kill: in the journal on the store.
      const covered = before.filter((c) => c.atMs < killedAt - 6_000);
      expect(covered.length).toBeGreaterThan(0);
      b = startWorker('tb');
      expect(await waitUntil(async () => (await queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      const uploaded = (): Event[] => eventsOf(id).filter((e) => e.eventType === 'TRANSCRIPTION_UPLOADED');
      expect(await waitUntil(() => uploaded().length === 2, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // no late duplicates
      const first = uploaded().filter((e) => e.data['segment'] === 1);
      expect(first).toHaveLength(1);
      expect(first[0]!.data).toMatchObject({ partial: true, reason: 'worker_lost' });
      const res = await fetch(first[0]!.data['preAuthenticatedLink'] as string);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { room_name: string; events: Array<{ event: string; text?: string }> };
      expect(doc.room_name).toBe(id);
      const texts = doc.events.filter((e) => e.event === 'SPEECH').map((e) => e.text);
      for (const c of covered) expect(texts).toContain(c.text);
      // Nothing in it that worker a never said.
      for (const t of texts) expect(before.map((c) => c.text)).toContain(t);
      // Segment 2 has its own transcript, as any session does.
      const second = uploaded().filter((e) => e.data['segment'] === 2);
      expect(second).toHaveLength(1);
      expect(second[0]!.data['partial']).toBe(false);
      expect(second[0]!.data['preAuthenticatedLink']).toMatch(/transcript\.json/);
      const recorded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(recorded.map((e) => e.data['segment']).sort()).toEqual([1, 2]);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const record = await queue.get(id);
      expect(record?.result).toMatchObject({ segment: 2, segments: [{ segment: 1, status: 'uploaded', partial: true }] });
    } finally {
      if (a.child.exitCode === null) await killTree(a.child.pid!);
      if (b && b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });
});
