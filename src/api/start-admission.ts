/**
 * Admission at the API: whether one more session may be queued. One token must not be able to fill the
 * queue and starve every real recording, so each tenant (JWT `sub`) and each user has a cap on sessions
 * queued or running, and the whole queue has a depth cap. Pure: the caller counts, this decides.
 */
import { ApiError } from './api-error.ts';

export interface StartLimits {
  /** Jobs waiting in the queue (all tenants) before new starts get 503. */
  readonly maxQueued: number;
  /** Sessions queued or running per tenant before 429. */
  readonly maxOpenPerTenant: number;
  /** Sessions queued or running per user before 429. */
  readonly maxOpenPerUser: number;
}

export interface StartLoad {
  readonly queued: number;
  readonly tenantOpen: number;
  /** null: the caller has no user id (counted only under its tenant). */
  readonly userOpen: number | null;
}

/** Seconds a refused caller is told to wait: sessions end in minutes, the queue drains in seconds. */
export const RETRY_AFTER_QUEUE_FULL_SEC = 30;
export const RETRY_AFTER_CAP_SEC = 60;

export class LimitError extends ApiError {
  readonly retryAfterSec: number;
  constructor(status: 429 | 503, code: string, message: string, retryAfterSec: number) {
    super(status, code, message);
    this.retryAfterSec = retryAfterSec;
  }
}

/** Null when the start may go ahead, else the error to answer with. */
export function startAdmission(load: StartLoad, limits: StartLimits): LimitError | null {
  if (load.queued >= limits.maxQueued) {
    return new LimitError(503, 'queue_full', 'too many sessions are waiting for a recorder; try again shortly', RETRY_AFTER_QUEUE_FULL_SEC);
  }
  if (load.userOpen !== null && load.userOpen >= limits.maxOpenPerUser) {
    return new LimitError(
      429,
      'too_many_sessions',
      `you already have ${load.userOpen} sessions queued or running (at most ${limits.maxOpenPerUser}); stop one first`,
      RETRY_AFTER_CAP_SEC,
    );
  }
  if (load.tenantOpen >= limits.maxOpenPerTenant) {
    return new LimitError(
      429,
      'too_many_sessions',
      `this tenant already has ${load.tenantOpen} sessions queued or running (at most ${limits.maxOpenPerTenant})`,
      RETRY_AFTER_CAP_SEC,
    );
  }
  return null;
}
