/**
 * Two worker processes on one Redis (BullMQ), 20 queued 5 s recordings of the synthetic meeting: each runs
 * exactly once and produces its file; kill -9 of one worker mid-job: that job completes on the other.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { createBullmqQueue } from '../../src/queue/bullmq-queue.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { topLevelBoxes } from '../helpers/mp4.ts';
import { spawnCli } from '../helpers/cli.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';
import { testConfig } from '../helpers/recording.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let meeting: DemoMeeting;
let redis: RedisServer;
beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
  redis = await startRedis();
});
afterAll(async () => {
  await meeting?.close();
  await redis?.stop();
});

const JOBS = 20;

describe('two workers on one Redis', () => {
  it('run 20 recordings exactly once each; a worker killed mid-job loses nothing', { timeout: 400_000 }, async () => {
    const config = testConfig();
    const queueName = 'scriba-two-workers';
    const queue = createBullmqQueue<JobRequest>({ connection: { url: redis.url }, queueName });
    const ids = Array.from({ length: JOBS }, (_, i) => `r-${String(i).padStart(2, '0')}`);
    for (const id of ids) {
      const request = parseJobRequest(
        { sessionId: id, meetingUrl: `${meeting.url}/${id}?participants=1`, file: true, maxDurationSec: 5 },
        { ...jobPolicy(config), allowHttp: true },
        () => id,
      );
      await queue.enqueue(request, { jobId: id });
    }
    const env = {
      ...process.env,
      SCRIBA_QUEUE_BACKEND: 'bullmq',
      SCRIBA_REDIS_URL: redis.url,
      SCRIBA_QUEUE_NAME: queueName,
      SCRIBA_QUEUE_LEASE_SEC: '3',
      SCRIBA_RECORDINGS_DIR: config.recordingsDir,
      // These tests are about the queue: files stay in recordingsDir (storage is tested in upload.test.ts).
      SCRIBA_STORAGE_BACKEND: 'none',
      SCRIBA_WEBHOOK_OUTBOX_PATH: config.webhooks.outboxPath,
      SCRIBA_WORK_DIR: config.workDir,
      SCRIBA_WORKER_PORT: '0',
      SCRIBA_WORKER_CORES: '0.9', // one recording per worker: two at once on this 2-core machine
      SCRIBA_LOG_LEVEL: 'info',
    };
    const start = () => spawnCli(['worker'], env);
    const claimedBy = (log: string) =>
      log
        .split('\n')
        .filter((l) => l.includes('"job claimed"'))
        .map((l) => (JSON.parse(l) as { jobId: string }).jobId);
    let a = start();
    const b = start();
    try {
      // Kill worker A while it records its first job.
      expect(await waitUntil(() => a.stderr().includes('session running'), 60_000), a.stderr()).toBe(true);
      await new Promise((r) => setTimeout(r, 2000));
      const victim = claimedBy(a.stderr())[0]!;
      expect(await killTree(a.child.pid!)).toBe(true);
      // The other worker recovers it after the lease.
      expect(await waitUntil(async () => (await queue.get(victim))?.status === 'completed', 90_000), b.stderr()).toBe(true);
      expect(claimedBy(b.stderr())).toContain(victim);
      a = start();
      expect(await waitUntil(async () => (await queue.counts()).completed === JOBS, 300_000)).toBe(true);
      for (const id of ids) {
        const record = await queue.get(id);
        expect(record?.status, id).toBe('completed');
        expect(record?.attempts, id).toBe(id === victim ? 2 : 1);
        const path = (record!.result as { path: string }).path;
        const boxes = await topLevelBoxes(path);
        expect(boxes.indexOf('moov'), id).toBeLessThan(boxes.indexOf('mdat'));
        expect(Math.abs((await probeMedia(path)).durationSec - 5), id).toBeLessThanOrEqual(0.5);
        // Exactly one file per job, except the killed one, which keeps its crash-safe partial file too.
        expect(readdirSync(`${config.recordingsDir}/${id}`).filter((f) => f.endsWith('.mp4')).length, id).toBe(id === victim ? 2 : 1);
      }
    } finally {
      for (const w of [a, b]) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGTERM');
          await w.exited;
        }
      }
      await queue.close();
    }
  });
});
