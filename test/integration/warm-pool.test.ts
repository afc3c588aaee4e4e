/**
 * A worker with one warm capture environment records the synthetic meeting through it, starts a fresh one
 * for the next session, and leaves no process behind at shutdown.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest } from '../../src/domain/job-request.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { startWorker } from '../../workers/worker.ts';
import { descendants, isAlive, waitUntil } from '../helpers/processes.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;
beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
});
afterAll(async () => {
  await meeting?.close();
});

describe('worker with worker.warmSessions = 1', () => {
  it('records through the warm environment, replaces it, and tears the pool down at shutdown', async () => {
    const dir = mkdtempSync(`${tmpdir()}/scriba-warm-`);
    const config = testConfig({ queue: { sqlitePath: `${dir}/queue.sqlite` }, worker: { port: 0, warmSessions: 1 } });
    const { logger, lines } = memoryLogger();
    const worker = await startWorker(config, logger);
    let processes: number[] = [];
    try {
      expect(await waitUntil(() => worker.warmStats()?.ready === 1, 30_000)).toBe(true);
      const id = 'warm-a';
      const request = parseJobRequest(
        { sessionId: id, meetingUrl: `${meeting.url}/${id}?participants=1`, file: true, maxDurationSec: 4 },
        { ...jobPolicy(config), allowHttp: true },
        () => id,
      );
      await worker.queue.enqueue(request, { jobId: id });
      expect(await waitUntil(async () => (await worker.queue.get(id))?.status === 'completed', 60_000)).toBe(true);
      const used = lines
        .filter((l) => l.includes('session uses a warm capture environment'))
        .map((l) => JSON.parse(l) as { sessionId: string });
      expect(used.map((l) => l.sessionId)).toEqual([id]);
      const media = await probeMedia(((await worker.queue.get(id))!.result as { path: string }).path);
      expect(media.video?.codec).toBe('h264');
      expect(media.durationSec).toBeGreaterThan(2);
      // A fresh environment for the next session, never the used one.
      expect(await waitUntil(() => worker.warmStats()?.ready === 1, 30_000)).toBe(true);
      expect(worker.warmStats()?.taken).toBe(1);
      processes = descendants(process.pid);
      expect(processes.length).toBeGreaterThan(0);
    } finally {
      await worker.shutdown(1000);
    }
    expect(worker.warmStats()).toEqual({ ready: 0, starting: 0, taken: 1 });
    expect(await waitUntil(() => processes.every((pid) => !isAlive(pid)), 10_000)).toBe(true);
  });
});
