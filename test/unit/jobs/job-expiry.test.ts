/** processJob refuses a job that waited in the queue longer than queue.maxQueuedSec, on its first claim only. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { parseJobRequest, type JobRequest } from '../../../src/domain/job-request.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { processJob, type ProcessableSession } from '../../../src/jobs/job-processor.ts';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import type { WebhookEventInput } from '../../../src/webhooks/webhook-event.ts';

const policy = {
  allowedMeetingHosts: ['*'],
  allowedStreamHosts: ['*'],
  allowHttp: false,
  defaultMaxDurationSec: 60,
  maxDurationCapSec: 60,
};

describe('queued-job expiry', () => {
  const job: JobRequest = parseJobRequest(
    { meetingUrl: 'https://meet.example.com/r?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig', file: true },
    policy,
    () => 's1',
  );
  const config = loadConfig({ env: {}, overrides: { queue: { maxQueuedSec: 90 } } });

  const run = async (attempts: number, waitedSec: number) => {
    const failed: Array<{ message: string; retryable: boolean }> = [];
    const queue = {
      fail: async (_id: string, _t: string, e: { message: string; retryable: boolean }) => (failed.push(e), true),
    } as unknown as JobQueue<JobRequest>;
    const published: WebhookEventInput[] = [];
    let created = 0;
    const createSession = (): ProcessableSession => {
      created += 1;
      throw new Error('stop here: the session would start');
    };
    const now = 1_000_000_000;
    const outcome = await processJob(
      { id: 'j1', data: job, attempts, enqueuedAtMs: now - waitedSec * 1000, token: 't', checkpoint: null },
      {
        queue,
        config,
        logger: createLogger({ level: 'silent' }),
        createSession,
        renewEveryMs: 60_000,
        publish: async (e) => void published.push(e),
        now: () => now,
      },
      new AbortController().signal,
    ).catch((err: Error) => ({ kind: 'threw', message: err.message }));
    return { outcome, failed, published, created };
  };

  it('fails a first claim that waited too long, with RECORDING_FAILED queue_expired, and starts nothing', async () => {
    const { outcome, failed, published, created } = await run(1, 91);
    expect(outcome).toMatchObject({ kind: 'failed', retryable: false });
    expect(created).toBe(0);
    expect(failed[0]?.message).toMatch(/no recorder was free within 90 s/);
    expect(published.map((e) => e.eventType)).toEqual(['RECORDING_FAILED']);
    expect(published[0]).toMatchObject({ data: { reason: 'queue_expired', shouldRetry: false } });
  });

  it('starts a job that waited less, and a recovered job however old', async () => {
    expect((await run(1, 30)).created).toBe(1);
    expect((await run(2, 3600)).created).toBe(1);
  });
});
