import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION_COSTS, canAdmit, capacity, jobCost } from '../../../src/domain/admission.ts';

const costs = DEFAULT_ADMISSION_COSTS;

describe('admission', () => {
  it('prices a session by its dearest output plus what the others add', () => {
    expect(jobCost(['file'], costs)).toBe(0.6);
    expect(jobCost(['transcription'], costs)).toBe(0.3);
    expect(jobCost(['transcription', 'file'], costs)).toBeCloseTo(0.9);
    expect(jobCost(['file', 'stream'], costs)).toBeCloseTo(0.85);
    expect(jobCost([], costs)).toBe(0);
  });
  it('with a budget for two recordings, a third waits', () => {
    const budget = { cores: 1.8 };
    expect(canAdmit([], 0.75, budget)).toBe(true);
    expect(canAdmit([0.75], 0.75, budget)).toBe(true);
    expect(canAdmit([0.75, 0.75], 0.75, budget)).toBe(false);
    expect(canAdmit([0.75, 0.75], 0.3, budget)).toBe(true);
  });
  it('at the default price, a 2-core machine (budget 1.8) admits three file recordings, not four', () => {
    const price = jobCost(['file'], costs);
    expect(canAdmit([price, price], price, { cores: 1.8 })).toBe(true);
    expect(canAdmit([price, price, price], price, { cores: 1.8 })).toBe(false);
  });
  it('an idle worker always takes one job, even one dearer than its budget', () => {
    expect(canAdmit([], 5, { cores: 1 })).toBe(true);
    expect(canAdmit([0.1], 5, { cores: 1 })).toBe(false);
  });
  it('reports used and free capacity', () => {
    expect(capacity([0.75, 0.3], { cores: 1.8 })).toEqual({ usedCores: 1.05, freeCores: 0.75, sessions: 2 });
    expect(capacity([1, 1], { cores: 1.8 }).freeCores).toBe(0);
  });
});
