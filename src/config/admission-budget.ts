/** The CPU budget a worker admits sessions against, from configuration. */
import { cpus } from 'node:os';
import { DEFAULT_ADMISSION_COSTS, type AdmissionBudget } from '../domain/admission.ts';
import type { ScribaConfig } from './config.ts';

export function admissionBudget(config: ScribaConfig): AdmissionBudget {
  // 90 % of the machine by default: leave room for the worker itself and the kernel. Warm capture environments
  // (worker.warmSessions) are not charged: idle, one measured about 0.01 cores (docs/capture.md, Warm start), and
  // starting a replacement (about a second of Chromium start-up) fits that 10 % headroom.
  const cores = config.worker.cores > 0 ? config.worker.cores : Math.round(cpus().length * 0.9 * 100) / 100;
  return { cores, ...DEFAULT_ADMISSION_COSTS };
}
