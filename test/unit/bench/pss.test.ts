import { describe, expect, it } from 'vitest';
import { addPss, NO_PSS, parsePssRollup, pssSplitMb, readPss } from '../../../bench/lib/pss.ts';

// smaps_rollup of a Chromium renderer on this machine (trimmed): the split lines add up to Pss.
const ROLLUP = `55a9a3f7f000-7ffd5f9c6000 ---p 00000000 00:00 0                          [rollup]
Rss:              212344 kB
Pss:              136282 kB
Pss_Dirty:         61240 kB
Pss_Anon:          56316 kB
Pss_File:          72102 kB
Pss_Shmem:          7864 kB
Shared_Clean:     140100 kB
`;

describe('PSS split', () => {
  it('reads Pss and its file, anonymous and shared-memory parts', () => {
    expect(parsePssRollup(ROLLUP)).toEqual({ totalKb: 136282, fileKb: 72102, anonKb: 56316, shmemKb: 7864 });
  });

  it('reads a kernel without the split lines as zero parts, not as a failure', () => {
    expect(parsePssRollup('Rss: 10 kB\nPss: 8 kB\n')).toEqual({ totalKb: 8, fileKb: 0, anonKb: 0, shmemKb: 0 });
  });

  it('sums processes and rounds each part to MB', () => {
    const sum = addPss(parsePssRollup(ROLLUP), parsePssRollup(ROLLUP));
    expect(sum.totalKb).toBe(272564);
    expect(pssSplitMb(sum)).toEqual({ fileMb: 141, anonMb: 110, shmemMb: 15 });
  });

  it('reads this process, and nothing for a process that is gone', () => {
    const self = readPss(process.pid);
    expect(self.totalKb).toBeGreaterThan(0);
    expect(self.fileKb + self.anonKb + self.shmemKb).toBeLessThanOrEqual(self.totalKb + 1);
    expect(readPss(2 ** 22 + 1)).toEqual(NO_PSS);
  });
});
