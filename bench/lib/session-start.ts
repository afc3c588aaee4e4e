/**
 * End to end through `scriba serve` on the embedded queue: POST /v1/sessions → job claimed → Chromium joined
 * and capture running (the session's `running` state, which is also when RECORDING_STARTED is sent). One
 * session at a time, each stopped through the API before the next.
 */
import { startDemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { sleep } from '../../src/lib/abort.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startApi } from '../../workers/api.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { startWorker } from '../../workers/worker.ts';
import { benchConfig } from './bench-config.ts';
import { BENCH_AUTH, benchHeaders } from './bench-auth.ts';

export interface SessionStartSample {
  readonly requestMs: number;
  readonly enqueueToClaimMs: number;
  readonly enqueueToRunningMs: number;
}

export async function measureSessionStart(runs: number): Promise<SessionStartSample[]> {
  const meeting = await startDemoMeeting({ port: 0 });
  const { config } = benchConfig('start', { auth: BENCH_AUTH });
  const logger = createLogger({ level: 'warn', destination: process.stderr as never });
  const queue = createQueue(config);
  const worker = await startWorker(config, logger, queue);
  const api = await startApi(config, logger, queue);
  const headers = await benchHeaders();
  const samples: SessionStartSample[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      let claimedAt = 0;
      let runningAt = 0;
      const t0 = performance.now();
      const res = await fetch(`${api.url}/v1/sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ meetingUrl: `${meeting.url}/bench-${i}?participants=2`, mode: 'file' }),
      });
      const requestMs = performance.now() - t0;
      const { id } = (await res.json()) as { id: string };
      // Poll the queue for the claim and the worker's state table for `running`, every 20 ms.
      while (runningAt === 0 && performance.now() - t0 < 60_000) {
        const record = await queue.get(id);
        if (claimedAt === 0 && record?.status === 'active') claimedAt = performance.now();
        if (record?.status === 'failed') throw new Error(`bench session failed: ${record.error?.message}`);
        if (worker.sessionStates().get(id) === 'running') runningAt = performance.now();
        await sleep(20);
      }
      samples.push({
        requestMs: Math.round(requestMs),
        enqueueToClaimMs: Math.round(claimedAt - t0),
        enqueueToRunningMs: Math.round(runningAt - t0),
      });
      await fetch(`${api.url}/v1/sessions/${id}/stop`, { method: 'POST', headers: { authorization: headers.authorization } });
      while ((await queue.get(id))?.status === 'active') await sleep(100);
    }
  } finally {
    await api.close();
    await worker.shutdown(10_000);
    await meeting.close();
  }
  return samples;
}
