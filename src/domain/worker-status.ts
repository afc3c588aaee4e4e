/**
 * What a worker reports about itself: readiness for the orchestrator and Jibri's health document
 * (docs/jitsi-deployment.md) so dashboards and scripts written for Jibri keep working. Pure.
 */

export interface WorkerState {
  readonly draining: boolean;
  /** No capacity left for one more job of the cheapest kind. */
  readonly full: boolean;
  /**
   * No capacity left for one more of what Jibri serves (a recording or a stream, judged at the dearer price,
   * as the brewery judges its occupants), though a cheaper job (transcription alone) may still fit.
   */
  readonly recorderFull: boolean;
  readonly activeSessions: number;
  /** False when a dependency the worker needs (queue, disk) is failing. */
  readonly healthy: boolean;
}

/** /readyz: take traffic (jobs) only when healthy, not draining and not full. */
export function isReady(s: WorkerState): boolean {
  return s.healthy && !s.draining && !s.full;
}

export interface JibriHealth {
  readonly status: {
    readonly busyStatus: 'IDLE' | 'BUSY' | 'EXPIRED';
    readonly health: { readonly healthStatus: 'HEALTHY' | 'UNHEALTHY'; readonly details: Record<string, unknown> };
  };
}

/**
 * Jibri's GET /jibri/api/v1.0/health. Jibri is BUSY with one session; a Scriba worker is BUSY when it cannot
 * take another recording or stream, so Jicofo-style pickers keep working. EXPIRED is Jibri's "will not take
 * more work until restarted", which is what draining means.
 */
export function jibriHealth(s: WorkerState): JibriHealth {
  const busyStatus = s.draining ? 'EXPIRED' : s.full || s.recorderFull ? 'BUSY' : 'IDLE';
  return {
    status: {
      busyStatus,
      health: { healthStatus: s.healthy ? 'HEALTHY' : 'UNHEALTHY', details: { activeSessions: s.activeSessions } },
    },
  };
}
