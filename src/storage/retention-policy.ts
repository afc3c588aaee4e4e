/**
 * When an artifact may go (pure). An artifact's age counts from its last modification: a stored object's
 * LastModified, a session directory's newest file. So a recording that is still being written or uploaded
 * is never old, and nothing is deleted a moment before the horizon: 23 h 59 min stays, 24 h goes.
 */
export const DEFAULT_RETENTION_SEC = 24 * 3600;

/** Anything last modified at or before this instant is expired. */
export function retentionHorizonMs(nowMs: number, retentionSec: number): number {
  return nowMs - retentionSec * 1000;
}

export function isExpired(lastModifiedMs: number, nowMs: number, retentionSec: number): boolean {
  return Number.isFinite(lastModifiedMs) && lastModifiedMs <= retentionHorizonMs(nowMs, retentionSec);
}

/** A directory is as young as the youngest thing in it (itself included); -Infinity when empty. */
export function newestMtimeMs(mtimesMs: Iterable<number>): number {
  let newest = -Infinity;
  for (const t of mtimesMs) if (t > newest) newest = t;
  return newest;
}

export function ageSec(lastModifiedMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - lastModifiedMs) / 1000));
}

export function assertRetentionSec(retentionSec: number): void {
  // A zero or negative retention would delete recordings while they are being made.
  if (!Number.isFinite(retentionSec) || retentionSec < 60) {
    throw new RangeError(`retention must be at least 60 seconds, got ${retentionSec}`);
  }
}
