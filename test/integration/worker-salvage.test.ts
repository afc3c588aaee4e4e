/**
 * A worker pod dies mid-recording (SIGKILL of its whole process tree): another worker, with its own disk,
 * salvages what the first had uploaded (from the checkpoint in the job), announces it as segment 1, partial,
 * and records the meeting again as segment 2. Real Redis (BullMQ), s3rver, two real worker processes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
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
const QUEUE_NAME = 'scriba-salvage';

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
    { sessionId, meetingUrl: `${meeting.url}/${sessionId}?participants=2`, file: true, maxDurationSec: seconds },
    { ...jobPolicy(config), allowHttp: true },
    () => sessionId,
  );
  await queue.enqueue(request, { jobId: sessionId });
}

/** Downloads an object through its link and probes it. */
async function probeLink(link: string): Promise<{ durationSec: number; video: boolean }> {
  const res = await fetch(link);
  expect(res.status).toBe(200);
  const file = join(mkdtempSync(join(tmpdir(), 'scriba-salvaged-')), 'segment.mp4');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const media = await probeMedia(file);
  return { durationSec: media.durationSec, video: media.video !== null };
}

describe('a worker killed mid-recording', () => {
  it('another worker salvages segment 1 (store down for a while), records segment 2, and each is announced once', {
    timeout: 240_000,
  }, async () => {
    const id = 'salvage-1';
    await enqueue(id, 20);
    const a = startWorker('a');
    let b: CliProcess | null = null;
    try {
      expect(await waitUntil(() => a.stderr().includes('session running'), 60_000), a.stderr()).toBe(true);
      const runningAt = Date.now();
      await new Promise((r) => setTimeout(r, 14_000));
      const capturedSec = (Date.now() - runningAt) / 1000;
      expect(await killTree(a.child.pid!)).toBe(true);
      // The store is down when the successor starts: salvage retries until it is back.
      await s3.stop();
      b = startWorker('b');
      expect(await waitUntil(() => b!.stderr().includes('salvage: store unavailable'), 60_000), b.stderr()).toBe(true);
      await s3.start();
      expect(await waitUntil(async () => (await queue.get(id))?.status === 'completed', 120_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED').length === 2, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // no late duplicates
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      const first = uploaded.filter((e) => e.data['segment'] === 1);
      const second = uploaded.filter((e) => e.data['segment'] === 2);
      expect(first).toHaveLength(1);
      expect(second).toHaveLength(1);
      expect(first[0]!.data).toMatchObject({ partial: true, reason: 'worker_lost', recordingSessionId: id });
      expect(second[0]!.data).toMatchObject({ partial: false });
      const one = await probeLink(first[0]!.data['preAuthenticatedLink'] as string);
      expect(one.video).toBe(true);
      expect(one.durationSec).toBeGreaterThanOrEqual(capturedSec - 10);
      const two = await probeLink(second[0]!.data['preAuthenticatedLink'] as string);
      expect(two.durationSec).toBeGreaterThan(15);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const record = await queue.get(id);
      expect(record?.result).toMatchObject({
        segment: 2,
        segments: [{ segment: 1, status: 'uploaded', partial: true, reason: 'worker_lost' }],
      });
    } finally {
      if (a.child.exitCode === null) await killTree(a.child.pid!);
      if (b && b.child.exitCode === null) await killTree(b.child.pid!);
      if (!s3.isRunning()) await s3.start();
    }
  });

  it('a checkpoint whose upload the store no longer knows: segment 1 reported lost, segment 2 recorded', { timeout: 180_000 }, async () => {
    const id = 'salvage-gone';
    await enqueue(id, 8);
    // Play the worker that died: claim the job, checkpoint an upload the store never had, then vanish.
    const claimed = await queue.claim({ workerId: 'dead-pod', signal: AbortSignal.timeout(10_000) });
    expect(claimed?.id).toBe(id);
    const bogus = {
      version: 1,
      segment: 1,
      earlier: [],
      captureStartedAtMs: Date.now() - 30_000,
      upload: {
        version: 1,
        key: `${id}/gone.mp4`,
        contentType: 'video/mp4',
        uploadId: 'no-such-upload',
        parts: [{ partNumber: 1, size: 5 * 1024 * 1024, etag: '"0123456789abcdef0123456789abcdef"', sha256: 'a'.repeat(64) }],
        partBytes: 5 * 1024 * 1024,
        tail: [],
        bytes: 5 * 1024 * 1024,
        wholeBytes: 5 * 1024 * 1024,
        startedAtMs: Date.now() - 30_000,
        updatedAtMs: Date.now() - 1000,
      },
    };
    expect(await queue.saveCheckpoint(id, claimed!.token, bogus)).toBe(true);
    const b = startWorker('c');
    try {
      expect(await waitUntil(async () => (await queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).some((e) => e.eventType === 'RECORDING_UPLOADED'), 30_000)).toBe(true);
      const failed = eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({ reason: 'segment_lost', segment: 1, shouldRetry: false });
      expect(failed[0]!.data['message']).toMatch(/could not be salvaged/);
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]!.data).toMatchObject({ segment: 2, partial: false });
    } finally {
      if (b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });

  it('a job killed before anything went up: nothing to salvage, no error, recorded again', { timeout: 180_000 }, async () => {
    const id = 'salvage-nothing';
    await enqueue(id, 6);
    const claimed = await queue.claim({ workerId: 'dead-pod', signal: AbortSignal.timeout(10_000) });
    expect(claimed?.id).toBe(id);
    const b = startWorker('d');
    try {
      expect(await waitUntil(async () => (await queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).some((e) => e.eventType === 'RECORDING_UPLOADED'), 30_000)).toBe(true);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]!.data['segment']).toBeUndefined();
    } finally {
      if (b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });
});
