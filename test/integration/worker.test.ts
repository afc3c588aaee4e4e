/**
 * The worker on the embedded queue, with real sessions against the synthetic meeting: admission by CPU
 * budget, the HTTP endpoints, and SIGTERM draining a real worker process.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { createSqliteQueue } from '../../src/queue/sqlite-queue.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { startWorker } from '../../workers/worker.ts';
import { topLevelBoxes } from '../helpers/mp4.ts';
import { spawnCli } from '../helpers/cli.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;
beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
});
afterAll(async () => {
  await meeting?.close();
});

function job(config: ReturnType<typeof testConfig>, sessionId: string, seconds: number): JobRequest {
  return parseJobRequest(
    { sessionId, meetingUrl: `${meeting.url}/${sessionId}?participants=1`, file: true, maxDurationSec: seconds },
    { ...jobPolicy(config), allowHttp: true },
    () => sessionId,
  );
}

describe('worker on the embedded queue', () => {
  it('admits by CPU budget: with room for two recordings, the third waits until one ends; endpoints report it', async () => {
    const dir = mkdtempSync(`${tmpdir()}/scriba-worker-`);
    const config = testConfig({ queue: { sqlitePath: `${dir}/queue.sqlite`, leaseSec: 5 }, worker: { cores: 1.4, port: 0 } });
    const worker = await startWorker(config, memoryLogger().logger);
    try {
      for (const id of ['w-a', 'w-b', 'w-c']) await worker.queue.enqueue(job(config, id, 6), { jobId: id });
      expect(await waitUntil(async () => (await worker.queue.counts()).active === 2, 20_000)).toBe(true);
      expect((await worker.queue.get('w-c'))?.status).toBe('queued');
      const ready = await fetch(`${worker.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await (await fetch(`${worker.url}/jibri/api/v1.0/health`)).json()).toMatchObject({
        status: { busyStatus: 'BUSY', health: { healthStatus: 'HEALTHY' } },
      });
      expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/scriba_jobs_started_total\{kind="file"\} 2/);
      // Two file recordings at their admission price (0.6 cores each) on a 1.4-core budget: 0.2 left, so not even
      // a transcription (0.3) fits and the worker reports itself full.
      expect(metrics).toMatch(/scriba_capacity_cores\{state="used"\} 1\.2\b/);
      // The third starts once a slot frees, and all three finish.
      expect(await waitUntil(async () => (await worker.queue.counts()).completed === 3, 60_000)).toBe(true);
      for (const id of ['w-a', 'w-b', 'w-c']) {
        const record = await worker.queue.get(id);
        expect(record).toMatchObject({ status: 'completed', attempts: 1 });
        const media = await probeMedia((record!.result as { path: string }).path);
        expect(media.video?.codec).toBe('h264');
      }
      expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
    } finally {
      await worker.shutdown(1000);
    }
  });

  it('SIGTERM: readiness goes false at once, the running recording is finished and marked done, exit 0', async () => {
    const dir = mkdtempSync(`${tmpdir()}/scriba-worker-`);
    const config = testConfig({ queue: { sqlitePath: `${dir}/queue.sqlite` } });
    const queue = createSqliteQueue<JobRequest>({ path: config.queue.sqlitePath });
    await queue.enqueue(job(config, 'w-term', 120), { jobId: 'w-term' });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const worker = spawnCli(['worker'], {
      ...process.env,
      SCRIBA_QUEUE_SQLITE_PATH: config.queue.sqlitePath,
      SCRIBA_RECORDINGS_DIR: config.recordingsDir,
      // These tests are about the queue: files stay in recordingsDir (storage is tested in upload.test.ts).
      SCRIBA_STORAGE_BACKEND: 'none',
      SCRIBA_WEBHOOK_OUTBOX_PATH: config.webhooks.outboxPath,
      SCRIBA_WORK_DIR: config.workDir,
      SCRIBA_WORKER_PORT: String(port),
      SCRIBA_DRAIN_GRACE_SEC: '1',
      SCRIBA_LOG_LEVEL: 'info',
    });
    const { child } = worker;
    try {
      expect(await waitUntil(() => worker.stderr().includes('session running'), 30_000), worker.stderr()).toBe(true);
      await new Promise((r) => setTimeout(r, 3000));
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(
        await waitUntil(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/readyz`).then(
              (r) => r.status,
              () => 0,
            )) !== 200,
          2000,
        ),
      ).toBe(true);
      expect(await worker.exited).toBe(0);
      const record = await queue.get('w-term');
      expect(record?.status).toBe('completed');
      const path = (record!.result as { path: string }).path;
      const boxes = await topLevelBoxes(path);
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await queue.close();
    }
  });

  it('kill -9 with one job running and one queued, then restart: both run, the interrupted one is recovered and its crash-safe file kept', async () => {
    const dir = mkdtempSync(`${tmpdir()}/scriba-worker-`);
    const config = testConfig({ queue: { sqlitePath: `${dir}/queue.sqlite` } });
    const queue = createSqliteQueue<JobRequest>({ path: config.queue.sqlitePath });
    await queue.enqueue(job(config, 'w-crash', 6), { jobId: 'w-crash' });
    await queue.enqueue(job(config, 'w-after', 4), { jobId: 'w-after' });
    const env = {
      ...process.env,
      SCRIBA_QUEUE_SQLITE_PATH: config.queue.sqlitePath,
      SCRIBA_QUEUE_LEASE_SEC: '3',
      SCRIBA_RECORDINGS_DIR: config.recordingsDir,
      // These tests are about the queue: files stay in recordingsDir (storage is tested in upload.test.ts).
      SCRIBA_STORAGE_BACKEND: 'none',
      SCRIBA_WEBHOOK_OUTBOX_PATH: config.webhooks.outboxPath,
      SCRIBA_WORK_DIR: config.workDir,
      SCRIBA_WORKER_PORT: '0',
      SCRIBA_WORKER_CORES: '0.9', // one recording at a time
      SCRIBA_LOG_LEVEL: 'info',
    };
    const first = spawnCli(['worker'], env);
    try {
      expect(await waitUntil(() => first.stderr().includes('session running'), 30_000), first.stderr()).toBe(true);
      await new Promise((r) => setTimeout(r, 3000));
      expect(await killTree(first.child.pid!)).toBe(true);
      expect((await queue.get('w-crash'))?.status).toBe('active');
      expect((await queue.get('w-after'))?.status).toBe('queued');
      const crashFiles = readdirSync(`${config.recordingsDir}/w-crash`).filter((f) => f.endsWith('.mp4'));
      expect(crashFiles).toHaveLength(1);

      const second = spawnCli(['worker'], env);
      try {
        expect(await waitUntil(async () => (await queue.counts()).completed === 2, 60_000), second.stderr()).toBe(true);
        expect(await queue.get('w-crash')).toMatchObject({ status: 'completed', attempts: 2 });
        expect(await queue.get('w-after')).toMatchObject({ status: 'completed', attempts: 1 });
        // The interrupted run's crash-safe file is still there, readable, beside the recovered run's file.
        const files = readdirSync(`${config.recordingsDir}/w-crash`).filter((f) => f.endsWith('.mp4'));
        expect(files).toContain(crashFiles[0]);
        expect(files.length).toBeGreaterThanOrEqual(1);
        expect((await probeMedia(`${config.recordingsDir}/w-crash/${crashFiles[0]}`)).video?.codec).toBe('h264');
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      await queue.close();
    }
  });
});
