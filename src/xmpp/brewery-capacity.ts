/**
 * How many brewery occupants a worker keeps and how many of them may show idle, from its CPU budget (the same
 * admission rule as the queue loop's: src/domain/admission.ts). Pure.
 */
import { canAdmit, type AdmissionBudget } from '../domain/admission.ts';

/** Cores of the dearest single-output session: what one more brewery session is judged by. */
export function dearestCost(budget: Pick<AdmissionBudget, 'baseCost'>): number {
  return Math.max(...Object.values(budget.baseCost));
}

/** Further sessions of the dearest kind that fit next to what runs (at most 64). */
export function fundableSessions(
  running: { readonly usedCores: number; readonly sessions: number },
  starting: number,
  budget: Pick<AdmissionBudget, 'cores' | 'baseCost'>,
): number {
  const cost = dearestCost(budget);
  const costs = running.sessions === 0 ? [] : [running.usedCores];
  for (let i = 0; i < starting; i++) costs.push(cost);
  let n = 0;
  while (n < 64 && canAdmit(costs, cost, budget)) {
    costs.push(cost);
    n++;
  }
  return n;
}

/** Occupants per brewery: the sessions an idle worker could run at once (at least one). */
export function slotCount(budget: Pick<AdmissionBudget, 'cores' | 'baseCost'>): number {
  return Math.max(1, fundableSessions({ usedCores: 0, sessions: 0 }, 0, budget));
}
