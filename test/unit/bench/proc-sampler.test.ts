import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcSampler } from '../../../bench/lib/proc-sampler.ts';

describe('ProcSampler with roots, sampled by the caller', () => {
  it('counts the named processes, not the rest of the tree', async () => {
    const counted = spawn('sleep', ['30'], { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const only = new ProcSampler(process.pid, { roots: () => [counted.pid!] });
      const all = new ProcSampler(process.pid, { exclude: () => [] });
      only.start(null);
      all.start(null);
      const onlyNow = only.sample();
      const allNow = all.sample();
      expect(onlyNow.totalKb).toBeGreaterThan(0);
      expect(allNow.totalKb).toBeGreaterThan(onlyNow.totalKb);
      const usage = only.stop();
      all.stop();
      expect(Object.keys(usage.cpuCoresByProcess)).toEqual(['sleep']);
    } finally {
      counted.kill();
      other.kill();
    }
  });
});
