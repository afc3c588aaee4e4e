import { describe, expect, it } from 'vitest';
import { isReady, jibriHealth, type WorkerState } from '../../../src/domain/worker-status.ts';

const idle: WorkerState = { draining: false, full: false, recorderFull: false, activeSessions: 0, healthy: true };

describe('worker status', () => {
  it.each([
    [idle, true, 'IDLE', 'HEALTHY'],
    [{ ...idle, full: true, recorderFull: true, activeSessions: 2 }, false, 'BUSY', 'HEALTHY'],
    // Room for a transcription but not for a recording: still ready for the queue, busy for Jibri's pickers.
    [{ ...idle, recorderFull: true, activeSessions: 2 }, true, 'BUSY', 'HEALTHY'],
    [{ ...idle, draining: true, activeSessions: 1 }, false, 'EXPIRED', 'HEALTHY'],
    [{ ...idle, healthy: false }, false, 'IDLE', 'UNHEALTHY'],
  ] as const)('%o → ready %s, Jibri %s/%s', (state, ready, busy, health) => {
    expect(isReady(state)).toBe(ready);
    expect(jibriHealth(state)).toEqual({
      status: { busyStatus: busy, health: { healthStatus: health, details: { activeSessions: state.activeSessions } } },
    });
  });
});
