/**
 * Admission by CPU budget: a worker takes a job only while the measured cost of what it runs plus the new
 * job fits its budget, so a 2-core pod runs as many sessions as fit instead of Jibri's one per machine.
 * Pure: costs come from configuration (defaults from bench/results/capture.json).
 */
import type { JobKind } from './job-request.ts';

export interface AdmissionBudget {
  /** CPU cores this worker may fill (e.g. the pod's limit times a safety factor). */
  readonly cores: number;
  /** Cores one session costs for its first output of this kind. */
  readonly baseCost: Readonly<Record<JobKind, number>>;
  /** Cores each further output adds to a session that already captures (outputs share one capture). */
  readonly addedCost: Readonly<Record<JobKind, number>>;
}

/**
 * Defaults: a 720p file recording of camera-like content measured 0.46–0.62 cores per session with one, two
 * and three sessions on a 2-core machine (bench/results/density.json), so 0.6: three fit a 2-core machine's
 * budget of 1.8 (on slower days three at once showed up to 8 % repeated and dropped frames: docs/capture.md).
 * A stream encodes with Jibri's veryfast profile (the file's ultrafast encode costs about a third of that,
 * bench/results/encoder.json), so a stream stays at 0.75; it shares the capture and, where settings allow,
 * the encode. Transcription without video skips capture and encoding.
 */
export const DEFAULT_ADMISSION_COSTS: Pick<AdmissionBudget, 'baseCost' | 'addedCost'> = {
  baseCost: { file: 0.6, stream: 0.75, transcription: 0.3 },
  addedCost: { file: 0.1, stream: 0.15, transcription: 0.3 },
};

/** The session's cost: the dearest output pays the base, every other output its added cost. */
export function jobCost(kinds: readonly JobKind[], budget: Pick<AdmissionBudget, 'baseCost' | 'addedCost'>): number {
  if (kinds.length === 0) return 0;
  const sorted = [...kinds].sort((a, b) => budget.baseCost[b] - budget.baseCost[a]);
  const [first, ...rest] = sorted;
  return budget.baseCost[first!] + rest.reduce((sum, k) => sum + budget.addedCost[k], 0);
}

/**
 * Whether a job of `cost` may start next to sessions costing `runningCosts`. A worker with nothing running
 * always admits one job, so a job dearer than the whole budget still runs (alone) instead of starving.
 */
export function canAdmit(runningCosts: readonly number[], cost: number, budget: Pick<AdmissionBudget, 'cores'>): boolean {
  if (runningCosts.length === 0) return true;
  const used = runningCosts.reduce((a, b) => a + b, 0);
  // A small epsilon: 0.6 + 0.6 + 0.6 must fit 1.8 despite floating point.
  return used + cost <= budget.cores + 1e-9;
}

export interface CapacityReport {
  readonly usedCores: number;
  readonly freeCores: number;
  readonly sessions: number;
}

export function capacity(runningCosts: readonly number[], budget: Pick<AdmissionBudget, 'cores'>): CapacityReport {
  const used = runningCosts.reduce((a, b) => a + b, 0);
  return { usedCores: used, freeCores: Math.max(0, budget.cores - used), sessions: runningCosts.length };
}
