import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION_COSTS } from '../../../src/domain/admission.ts';
import { fundableSessions, slotCount } from '../../../src/xmpp/brewery-capacity.ts';

const budget = (cores: number) => ({ cores, ...DEFAULT_ADMISSION_COSTS });

describe('brewery capacity', () => {
  it('keeps as many occupants as sessions fit an idle worker, at least one', () => {
    expect(slotCount(budget(1.8))).toBe(2); // a 2-core machine at 90 %
    expect(slotCount(budget(1.5))).toBe(2);
    expect(slotCount(budget(0.5))).toBe(1); // a lone session always runs
    expect(slotCount(budget(3.6))).toBe(4);
  });

  it('counts running sessions (API jobs too) and starts under way', () => {
    expect(fundableSessions({ usedCores: 0, sessions: 0 }, 0, budget(1.8))).toBe(2);
    expect(fundableSessions({ usedCores: 0.75, sessions: 1 }, 0, budget(1.8))).toBe(1);
    expect(fundableSessions({ usedCores: 0.75, sessions: 1 }, 1, budget(1.8))).toBe(0);
    expect(fundableSessions({ usedCores: 1.5, sessions: 2 }, 0, budget(1.8))).toBe(0);
    // A transcription-only API job (0.3) leaves room for one recording on 1.2 cores.
    expect(fundableSessions({ usedCores: 0.3, sessions: 1 }, 0, budget(1.2))).toBe(1);
  });
});
