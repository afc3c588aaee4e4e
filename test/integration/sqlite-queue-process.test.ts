/**
 * The embedded queue shared by real worker processes on one sqlite file: no job claimed twice, none lost,
 * and a worker killed with SIGKILL mid-job has its job recovered by the other after the lease.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../src/queue/job-queue.ts';
import { createSqliteQueue } from '../../src/queue/sqlite-queue.ts';
import { waitUntil } from '../helpers/processes.ts';

const WORKER = fileURLToPath(new URL('../fixtures/queue/claim-worker.ts', import.meta.url));

interface Worker {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

function startWorker(path: string, workerId: string, leaseMs: number, workMs: number): Worker {
  const child = spawn(process.execPath, [WORKER, path, workerId, String(leaseMs), String(workMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

const claimsOf = (w: Worker) =>
  w.lines
    .filter((l) => l.startsWith('claimed '))
    .map((l) => {
      const [, id, attempts] = l.split(' ');
      return { id: id!, attempts: Number(attempts) };
    });

describe('sqlite queue shared by worker processes', () => {
  const dirs: string[] = [];
  const workers: Worker[] = [];
  const queues: JobQueue<{ n: number }>[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null && w.child.pid !== undefined) w.child.kill('SIGKILL');
      await w.exited;
    }
    for (const q of queues.splice(0)) await q.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup(leaseMs: number): { path: string; queue: JobQueue<{ n: number }> } {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-queue-proc-'));
    dirs.push(dir);
    const path = join(dir, 'queue.sqlite');
    const queue = createSqliteQueue<{ n: number }>({ path, timing: { leaseMs, pollMs: 20, maxAttempts: 3 } });
    queues.push(queue);
    return { path, queue };
  }

  it('two processes claim 200 jobs: each exactly once, none lost', async () => {
    const { path, queue } = setup(5_000);
    const ids = new Set<string>();
    const a = startWorker(path, 'A', 5_000, 5); // 5 ms of "work" per job, so both take part
    const b = startWorker(path, 'B', 5_000, 5);
    workers.push(a, b);
    expect(await waitUntil(() => a.lines.length > 0 && b.lines.length > 0, 20_000, 20)).toBe(true);
    for (let n = 0; n < 200; n++) ids.add(await queue.enqueue({ n }));
    expect(await waitUntil(async () => (await queue.counts()).completed === 200, 60_000, 50)).toBe(true);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const claims = [...claimsOf(a), ...claimsOf(b)];
    expect(claims).toHaveLength(200);
    expect(new Set(claims.map((c) => c.id))).toEqual(ids);
    expect(claims.every((c) => c.attempts === 1)).toBe(true);
    expect([...a.lines, ...b.lines].filter((l) => l.startsWith('completed ') && !l.endsWith(' true'))).toEqual([]);
    // Both processes took part (the split itself is not deterministic).
    expect(claimsOf(a).length).toBeGreaterThan(0);
    expect(claimsOf(b).length).toBeGreaterThan(0);
    expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 200, failed: 0 });
  });

  it('recovers the job of a worker killed with SIGKILL after its lease', async () => {
    const leaseMs = 600;
    const { path, queue } = setup(leaseMs);
    const victim = startWorker(path, 'victim', leaseMs, 60_000);
    workers.push(victim);
    expect(await waitUntil(() => victim.lines.length > 0, 20_000, 20)).toBe(true);
    const id = await queue.enqueue({ n: 1 });
    expect(await waitUntil(() => claimsOf(victim).length === 1, 10_000, 10)).toBe(true);
    // Running, renewing its lease: nobody else may take it.
    const rescuer = startWorker(path, 'rescuer', leaseMs, 200);
    workers.push(rescuer);
    expect(await waitUntil(() => rescuer.lines.length > 0, 20_000, 20)).toBe(true);
    await new Promise((r) => setTimeout(r, 2 * leaseMs));
    expect(claimsOf(rescuer)).toEqual([]);

    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    expect(await waitUntil(async () => (await queue.get(id))?.status === 'completed', 10_000, 20)).toBe(true);
    const recoveredAfter = Date.now() - killedAt;
    expect(recoveredAfter).toBeGreaterThanOrEqual(leaseMs / 3); // the victim's last renewal still had to run out
    expect(claimsOf(rescuer)).toEqual([{ id, attempts: 2 }]);
    expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 2, result: { by: 'rescuer' } });

    rescuer.child.kill('SIGTERM');
    expect(await rescuer.exited).toBe(0);
  });
});
