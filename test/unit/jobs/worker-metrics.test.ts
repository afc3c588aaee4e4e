import { describe, expect, it } from 'vitest';
import { createWorkerMetrics } from '../../../src/jobs/worker-metrics.ts';

describe('worker metrics', () => {
  it('counts each session once, in its current state, and forgets it when it ends', async () => {
    const m = createWorkerMetrics(() => ({ totalCores: 2, usedCores: 0.75, freeCores: 1.25, running: 1 }) as never);
    m.jobStarted('a', ['file'], 120);
    m.jobStarted('b', ['file', 'stream'], 80);
    m.sessionState('a', 'running');
    let text = await m.registry.metrics();
    expect(text).toContain('scriba_sessions{kind="file",state="running"} 1');
    expect(text).toContain('scriba_sessions{kind="file+stream",state="starting"} 1');
    m.sessionState('a', 'stopping');
    m.jobEnded('b', ['file', 'stream'], { kind: 'failed', message: 'x', retryable: false });
    text = await m.registry.metrics();
    expect(text).toContain('scriba_sessions{kind="file",state="stopping"} 1');
    expect(text).not.toContain('scriba_sessions{kind="file+stream"');
    expect(text).toContain('scriba_jobs_ended_total{kind="file+stream",outcome="failed",reason="final"} 1');
    expect(text).toMatch(/scriba_queue_wait_seconds_count 2/);
  });

  it("reports the shared queue's depth at scrape time, and survives an unreachable queue", async () => {
    const m = createWorkerMetrics(() => ({ totalCores: 2, usedCores: 0, freeCores: 2, running: 0 }) as never);
    let fail = false;
    m.watchQueue(async () => {
      if (fail) throw new Error('redis down');
      return { queued: 7, active: 2, completed: 10, failed: 1 };
    });
    let text = await m.registry.metrics();
    expect(text).toContain('scriba_queue_jobs{status="queued"} 7');
    expect(text).toContain('scriba_queue_jobs{status="active"} 2');
    fail = true;
    text = await m.registry.metrics();
    expect(text).toContain('# TYPE scriba_queue_jobs gauge');
  });
});
