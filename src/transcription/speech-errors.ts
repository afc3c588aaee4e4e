/**
 * Speech engine failures. ScribaError has no speech codes yet, so these are ScribaError 'internal' with a
 * typed `reason`; scope and retryable follow the reason (credentials and quota are the whole worker's
 * problem, not one session's, and retrying a refused credential only burns quota).
 */
import { type ErrorScope, ScribaError } from '../domain/errors.ts';

export type SpeechFailureReason =
  /** Credentials missing, invalid or without permission (gRPC UNAUTHENTICATED, PERMISSION_DENIED). */
  | 'auth'
  /** Quota or rate limit (gRPC RESOURCE_EXHAUSTED). Later may work; at once will not. */
  | 'quota'
  /** The engine refused the request (gRPC INVALID_ARGUMENT, FAILED_PRECONDITION, …): a configuration bug. */
  | 'invalid_request'
  | 'unsupported_language'
  /** Transient service failures that outlasted the engine's own retries. */
  | 'unavailable'
  /** The local engine process failed to start or died. */
  | 'engine_failed';

interface ReasonPolicy {
  readonly scope: ErrorScope;
  readonly retryable: boolean;
}

const POLICY: Record<SpeechFailureReason, ReasonPolicy> = {
  auth: { scope: 'system', retryable: false },
  quota: { scope: 'system', retryable: true },
  invalid_request: { scope: 'session', retryable: false },
  unsupported_language: { scope: 'session', retryable: false },
  unavailable: { scope: 'system', retryable: true },
  engine_failed: { scope: 'session', retryable: true },
};

export class SpeechEngineError extends ScribaError {
  readonly reason: SpeechFailureReason;
  /** The engine's own code, e.g. the gRPC status name 'UNAUTHENTICATED'; null for local engines. */
  readonly engineCode: string | null;

  constructor(reason: SpeechFailureReason, message: string, options: { cause?: unknown; engineCode?: string | null } = {}) {
    super('internal', message, { ...POLICY[reason], ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.name = 'SpeechEngineError';
    this.reason = reason;
    this.engineCode = options.engineCode ?? null;
  }
}

/** What a stream's results/end() reject with after its signal aborted. */
export function speechAborted(label: string | undefined): ScribaError {
  return new ScribaError('aborted', `speech stream${label === undefined ? '' : ` ${label}`} was aborted`);
}
