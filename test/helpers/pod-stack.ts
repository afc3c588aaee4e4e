/**
 * Worker pods for the salvage tests: the synthetic meeting, Redis (BullMQ), s3rver and a webhook receiver,
 * started once per file, and worker processes as a pod runs them (each with its own recordings and work
 * directories, sharing only Redis and S3).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { createBullmqQueue } from '../../src/queue/bullmq-queue.ts';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { spawnCli, type CliProcess } from './cli.ts';
import { testConfig } from './recording.ts';
import { startRedis, type RedisServer } from './redis-server.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from './s3-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

export type PodEvent = { eventType: string; sessionId: string; data: Record<string, any> };

export interface PodStack {
  readonly meeting: DemoMeeting;
  readonly s3: S3TestServer;
  readonly receiver: WebhookReceiver;
  readonly queue: JobQueue<JobRequest>;
  /** A worker process with its webhooks sent to `/hooks/<name>`. */
  startWorker(name: string): CliProcess;
  /** The session's acknowledged webhook events, in order. */
  eventsOf(sessionId: string): PodEvent[];
  /** Queues a recording of `participants` in a room named after the session. */
  enqueue(sessionId: string, seconds: number, o?: { participants?: number; transcription?: boolean }): Promise<void>;
}

/** Registers beforeAll/afterAll for the file; the stack's parts are usable inside its tests. */
export function usePodStack(queueName: string): PodStack {
  let meeting: DemoMeeting;
  let redis: RedisServer;
  let s3: S3TestServer;
  let receiver: WebhookReceiver;
  let queue: JobQueue<JobRequest>;
  beforeAll(async () => {
    meeting = await startDemoMeeting({ port: 0 });
    redis = await startRedis();
    s3 = await startS3Server();
    receiver = await startWebhookReceiver();
    queue = createBullmqQueue<JobRequest>({ connection: { url: redis.url }, queueName, timing: { leaseMs: 3000 } });
  });
  afterAll(async () => {
    await queue?.close();
    await receiver?.stop();
    await s3?.close();
    await redis?.stop();
    await meeting?.close();
  });
  return {
    get meeting() {
      return meeting;
    },
    get s3() {
      return s3;
    },
    get receiver() {
      return receiver;
    },
    get queue() {
      return queue;
    },
    startWorker(name) {
      const dir = mkdtempSync(join(tmpdir(), `scriba-pod-${name}-`));
      return spawnCli(['worker'], {
        ...process.env,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        SCRIBA_QUEUE_BACKEND: 'bullmq',
        SCRIBA_REDIS_URL: redis.url,
        SCRIBA_QUEUE_NAME: queueName,
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
    },
    eventsOf: (sessionId) =>
      receiver
        .acknowledged()
        .map((r) => JSON.parse(r.rawBody) as PodEvent)
        .filter((e) => e.sessionId === sessionId),
    async enqueue(sessionId, seconds, o = {}) {
      const request = parseJobRequest(
        {
          sessionId,
          meetingUrl: `${meeting.url}/${sessionId}?participants=${o.participants ?? 2}`,
          file: true,
          ...(o.transcription ? { transcription: true } : {}),
          maxDurationSec: seconds,
        },
        { ...jobPolicy(testConfig()), allowHttp: true },
        () => sessionId,
      );
      await queue.enqueue(request, { jobId: sessionId });
    },
  };
}
