/**
 * The empty-call rule between status-check rounds. The full checks run every `checks.intervalSec` (15 s, as in
 * Jibri), which alone would stop an emptied meeting up to one interval late and count the timeout from the
 * round that first saw it empty. The session also asks the page for the participant count every second, so
 * a recorder stops within the timeout plus about a second of the last participant leaving. Pure.
 */

/** When the recorder was first seen alone in the current run (null: not alone, or never seen so). */
export type EmptySince = number | null;

/** `count` includes the recorder (≤ 1 means alone); null = unknown, which neither starts nor ends a run. */
export function trackEmpty(since: EmptySince, count: number | null, nowMs: number): EmptySince {
  if (count === null) return since;
  if (count > 1) return null;
  return since ?? nowMs;
}

/** Has the recorder been alone for the whole timeout? */
export function emptyLongEnough(since: EmptySince, nowMs: number, timeoutMs: number): boolean {
  return since !== null && nowMs - since >= timeoutMs;
}
