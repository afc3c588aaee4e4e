import { describe, expect, it } from 'vitest';
import {
  INITIAL_SESSION_STATE,
  reduceSession,
  type SessionEvent,
  type SessionFailure,
  type SessionState,
} from '../../../src/domain/session-state.ts';

const fail = (code: SessionFailure['code']): SessionFailure => ({ code, message: code, scope: 'session', retryable: false });
const running: SessionState = { status: 'running', captureStartedAtMs: 100 };
const stopping: SessionState = { status: 'stopping', reason: 'requested', failure: null, captureStartedAtMs: 100 };
const stoppingFailed: SessionState = { status: 'stopping', reason: 'error', failure: fail('no_media'), captureStartedAtMs: 100 };
const finished: SessionState = { status: 'finished', reason: 'requested' };
const failed: SessionState = { status: 'failed', failure: fail('join_timeout') };

const table: ReadonlyArray<readonly [string, SessionState, SessionEvent, SessionState]> = [
  ['step advances while starting', INITIAL_SESSION_STATE, { type: 'step', step: 'joining' }, { status: 'starting', step: 'joining' }],
  ['capture start → running', { status: 'starting', step: 'capturing' }, { type: 'capture_started', atMs: 100 }, running],
  ['step ignored once running', running, { type: 'step', step: 'joining' }, running],
  [
    'stop while starting → stopping, no capture',
    INITIAL_SESSION_STATE,
    { type: 'stop', reason: 'signal' },
    { status: 'stopping', reason: 'signal', failure: null, captureStartedAtMs: null },
  ],
  [
    'stop while running keeps capture start',
    running,
    { type: 'stop', reason: 'empty_call' },
    { status: 'stopping', reason: 'empty_call', failure: null, captureStartedAtMs: 100 },
  ],
  ['second stop ignored', stopping, { type: 'stop', reason: 'max_duration' }, stopping],
  [
    'error while starting → stopping with failure',
    INITIAL_SESSION_STATE,
    { type: 'error', failure: fail('join_timeout') },
    { status: 'stopping', reason: 'error', failure: fail('join_timeout'), captureStartedAtMs: null },
  ],
  ['error while running → stopping (file still finalized)', running, { type: 'error', failure: fail('no_media') }, stoppingFailed],
  ['error during a clean stop becomes the failure', stopping, { type: 'error', failure: fail('no_media') }, stoppingFailed],
  ['first failure wins', stoppingFailed, { type: 'error', failure: fail('ffmpeg_failed') }, stoppingFailed],
  ['finalized after clean stop → finished', stopping, { type: 'finalized' }, finished],
  ['finalized after failure → failed', stoppingFailed, { type: 'finalized' }, { status: 'failed', failure: fail('no_media') }],
  ['finalized ignored while running', running, { type: 'finalized' }, running],
  ['capture_started ignored while stopping', stopping, { type: 'capture_started', atMs: 5 }, stopping],
  ['finished ignores stop', finished, { type: 'stop', reason: 'requested' }, finished],
  ['finished ignores error', finished, { type: 'error', failure: fail('internal') }, finished],
  ['failed ignores finalized', failed, { type: 'finalized' }, failed],
];

describe('reduceSession', () => {
  it.each(table)('%s', (_name, state, event, expected) => {
    expect(reduceSession(state, event)).toEqual(expected);
  });
});
