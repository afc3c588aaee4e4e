import { describe, expect, it } from 'vitest';
import { isReady, jibriHealth, type WorkerState } from '../../../src/domain/worker-status.ts';

const idle: WorkerState = { draining: false, full: false, activeSessions: 0, healthy: true };

describe('worker status', () => {
  it.each([
    [idle, true, 'IDLE', 'HEALTHY'],
    [{ ...idle, full: true, activeSessions: 2 }, false, 'BUSY', 'HEALTHY'],
    [{ ...idle, draining: true, activeSessions: 1 }, false, 'EXPIRED', 'HEALTHY'],
    [{ ...idle, healthy: false }, false, 'IDLE', 'UNHEALTHY'],
  ] as const)('%o → ready %s, Jibri %s/%s', (state, ready, busy, health) => {
    expect(isReady(state)).toBe(ready);
    expect(jibriHealth(state)).toEqual({
      status: { busyStatus: busy, health: { healthStatus: health, details: { activeSessions: state.activeSessions } } },
    });
  });
});
