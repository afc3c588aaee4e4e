import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNER_FILE, isStale, markScratchOwner, sweepStaleScratch } from '../../../src/capture/scratch-sweep.ts';
import { createLogger } from '../../../src/log/logger.ts';

describe('scratch sweep', () => {
  it('decides by owner process and age', () => {
    const alive = (pid: number) => pid === 42;
    expect(isStale(42, 0, alive)).toBe(false);
    expect(isStale(43, 0, alive)).toBe(true);
    expect(isStale(process.pid, 0, () => false)).toBe(false);
    expect(isStale(null, 60_000, alive)).toBe(false);
    expect(isStale(null, 11 * 60_000, alive)).toBe(true);
  });

  it('removes directories of dead owners and keeps live and fresh ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'scriba-sweep-'));
    // A real process that has exited: its pid is free.
    const child = spawn('true');
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    await mkdir(join(root, 'dead'));
    await writeFile(join(root, 'dead', OWNER_FILE), `${deadPid}\n`);
    await mkdir(join(root, 'mine'));
    await markScratchOwner(join(root, 'mine'));
    await mkdir(join(root, 'fresh-unowned'));
    await mkdir(join(root, 'old-unowned'));
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(root, 'old-unowned'), old, old);
    const removed = await sweepStaleScratch(root, createLogger({ level: 'silent' }));
    expect(removed).toBe(2);
    expect((await readdir(root)).sort()).toEqual(['fresh-unowned', 'mine']);
    expect(await sweepStaleScratch(join(root, 'missing'), createLogger({ level: 'silent' }))).toBe(0);
  });
});
