/**
 * The session lifecycle as a pure reducer (after Jibri's StatefulJibriService): states are a discriminated
 * union, terminal states ignore every event, and the first failure is kept even if more follow while stopping.
 */
import type { ErrorCode, ErrorScope } from './errors.ts';

export type StopReason = 'requested' | 'signal' | 'empty_call' | 'all_muted' | 'max_duration' | 'error';

export interface SessionFailure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly scope: ErrorScope;
  readonly retryable: boolean;
}

export type StartStep = 'preparing' | 'launching' | 'joining' | 'capturing';

export type SessionState =
  | { readonly status: 'starting'; readonly step: StartStep }
  | { readonly status: 'running'; readonly captureStartedAtMs: number }
  | {
      readonly status: 'stopping';
      readonly reason: StopReason;
      readonly failure: SessionFailure | null;
      readonly captureStartedAtMs: number | null;
    }
  | { readonly status: 'finished'; readonly reason: StopReason }
  | { readonly status: 'failed'; readonly failure: SessionFailure };

export type SessionEvent =
  | { readonly type: 'step'; readonly step: StartStep }
  | { readonly type: 'capture_started'; readonly atMs: number }
  | { readonly type: 'stop'; readonly reason: Exclude<StopReason, 'error'> }
  | { readonly type: 'error'; readonly failure: SessionFailure }
  | { readonly type: 'finalized' };

export const INITIAL_SESSION_STATE: SessionState = { status: 'starting', step: 'preparing' };

export function isTerminal(state: SessionState): state is Extract<SessionState, { status: 'finished' | 'failed' }> {
  return state.status === 'finished' || state.status === 'failed';
}

function captureStart(state: SessionState): number | null {
  return state.status === 'running' ? state.captureStartedAtMs : null;
}

export function reduceSession(state: SessionState, event: SessionEvent): SessionState {
  if (isTerminal(state)) return state;
  switch (event.type) {
    case 'step':
      return state.status === 'starting' ? { status: 'starting', step: event.step } : state;
    case 'capture_started':
      return state.status === 'starting' ? { status: 'running', captureStartedAtMs: event.atMs } : state;
    case 'stop':
      if (state.status === 'stopping') return state;
      return { status: 'stopping', reason: event.reason, failure: null, captureStartedAtMs: captureStart(state) };
    case 'error':
      if (state.status === 'stopping') {
        // Keep the first failure: later ones are usually consequences of it (or of our own teardown).
        return state.failure ? state : { ...state, reason: 'error', failure: event.failure };
      }
      return { status: 'stopping', reason: 'error', failure: event.failure, captureStartedAtMs: captureStart(state) };
    case 'finalized':
      if (state.status !== 'stopping') return state;
      return state.failure ? { status: 'failed', failure: state.failure } : { status: 'finished', reason: state.reason };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
