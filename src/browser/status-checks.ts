/**
 * Jibri's call status checks (docs/jitsi-recorder.md, "Call status checks") as a pure reducer: (state, snapshot, now, config) →
 * (state, verdict). No I/O, no clock: the caller passes `nowMs` (monotonic or wall, as long as it is the same
 * clock as `initialCheckState`).
 *
 * Each condition is tri-state per snapshot: holds, does not hold, or unknown (a probe was null).
 * - A condition fires once it has held CONTINUOUSLY for its timeout: `nowMs - since >= timeout`, where `since`
 *   is the time of the first snapshot in the current run of "holds".
 * - "Does not hold" resets the run.
 * - Unknown neither starts nor resets a run: a probe that throws now and then (e.g. while Meet reconnects) must
 *   not hide a real condition, nor invent one. An unknown snapshot never fires a condition by itself.
 *
 * Conditions:
 * - page_hung (error): the snapshot evaluation did not answer in time (pageResponsive false).
 * - empty_call (finished): participantCount ≤ 1 (the recorder is alone).
 * - all_muted (finished): every visible participant has audio and video muted.
 * - no_media (error): download bitrate is 0 while someone is unmuted (allMuted false) and the call is not empty.
 *   Unknown unless both probes answered, except that an empty call or allMuted=true or bitrate>0 clear it.
 * - ice_failed (error): ICE is not connected while the call is not empty (an empty call clears it, as in Jibri).
 * - max_duration (finished): `nowMs - startedAtMs >= maxDurationMs`.
 *
 * First to fire wins, in this priority order: page_hung, empty_call, all_muted, no_media, ice_failed,
 * max_duration. (A hung page makes every other answer unknown; an empty call is also "all muted" and "no media",
 * so it goes first, as in Jibri.)
 *
 * Differences from Jibri, on purpose: Jibri measures no-media and ICE from the last good sample (the start
 * counting as good), so it can fire up to one check interval earlier; it treats a thrown stats probe as
 * bitrate 0; and it stops at the first failing JavaScript call instead of giving page_hung a timeout.
 */
import type { ProbeSnapshot } from './probe-snapshot.ts';

export type StatusCheckReason = 'empty_call' | 'no_media' | 'all_muted' | 'ice_failed' | 'page_hung' | 'max_duration';

export interface StatusVerdict {
  kind: 'finished' | 'error';
  reason: StatusCheckReason;
  message: string;
}

export interface StatusCheckConfig {
  emptyCallTimeoutMs: number;
  noMediaTimeoutMs: number;
  allMutedTimeoutMs: number;
  iceTimeoutMs: number;
  /** How long snapshots may keep timing out before page_hung; default 60 s. 0 = the first one (Jibri). */
  pageHungTimeoutMs?: number;
  /** From session start; null = no limit. */
  maxDurationMs: number | null;
}

export const DEFAULT_PAGE_HUNG_TIMEOUT_MS = 60_000;

/** Jibri's defaults; max duration is per deployment, so none here. */
export const JIBRI_DEFAULTS: Readonly<StatusCheckConfig> = Object.freeze({
  emptyCallTimeoutMs: 30_000,
  noMediaTimeoutMs: 180_000,
  allMutedTimeoutMs: 600_000,
  iceTimeoutMs: 30_000,
  pageHungTimeoutMs: DEFAULT_PAGE_HUNG_TIMEOUT_MS,
  maxDurationMs: null,
});

type Condition = 'pageHung' | 'emptyCall' | 'allMuted' | 'noMedia' | 'iceFailed';

/** `since*Ms`: start of the current run of "holds", or null when not holding (or never seen holding). */
export interface StatusCheckState {
  readonly startedAtMs: number;
  readonly pageHungSinceMs: number | null;
  readonly emptyCallSinceMs: number | null;
  readonly allMutedSinceMs: number | null;
  readonly noMediaSinceMs: number | null;
  readonly iceFailedSinceMs: number | null;
}

export interface StatusCheckResult {
  state: StatusCheckState;
  verdict: StatusVerdict | null;
}

export function initialCheckState(startedAtMs: number): StatusCheckState {
  return {
    startedAtMs,
    pageHungSinceMs: null,
    emptyCallSinceMs: null,
    allMutedSinceMs: null,
    noMediaSinceMs: null,
    iceFailedSinceMs: null,
  };
}

/** Tri-state: true = holds, false = does not hold, null = unknown. */
export function conditionsOf(s: ProbeSnapshot): Record<Condition, boolean | null> {
  const empty = s.participantCount === null ? null : s.participantCount <= 1;
  let noMedia: boolean | null;
  if (empty === true || s.allMuted === true || (s.downloadKbps !== null && s.downloadKbps > 0)) noMedia = false;
  else if (s.downloadKbps === 0 && s.allMuted === false) noMedia = true;
  else noMedia = null;
  let iceFailed: boolean | null;
  if (s.iceConnected === true || empty === true) iceFailed = false;
  else if (s.iceConnected === false && empty === false) iceFailed = true;
  else iceFailed = null;
  return {
    pageHung: !s.pageResponsive,
    emptyCall: empty,
    allMuted: s.allMuted,
    noMedia,
    iceFailed,
  };
}

function track(since: number | null, holds: boolean | null, nowMs: number): number | null {
  if (holds === null) return since; // unknown: neither starts nor resets
  if (!holds) return null;
  return since ?? nowMs;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function evaluateStatusChecks(
  state: StatusCheckState,
  snapshot: ProbeSnapshot,
  nowMs: number,
  config: StatusCheckConfig = JIBRI_DEFAULTS,
): StatusCheckResult {
  const c = conditionsOf(snapshot);
  const next: StatusCheckState = {
    startedAtMs: state.startedAtMs,
    pageHungSinceMs: track(state.pageHungSinceMs, c.pageHung, nowMs),
    emptyCallSinceMs: track(state.emptyCallSinceMs, c.emptyCall, nowMs),
    allMutedSinceMs: track(state.allMutedSinceMs, c.allMuted, nowMs),
    noMediaSinceMs: track(state.noMediaSinceMs, c.noMedia, nowMs),
    iceFailedSinceMs: track(state.iceFailedSinceMs, c.iceFailed, nowMs),
  };
  // Fires only when the condition holds in this very snapshot (an unknown one never fires).
  const fired = (holds: boolean | null, since: number | null, timeoutMs: number): number | null =>
    holds === true && since !== null && nowMs - since >= timeoutMs ? nowMs - since : null;

  const checks: Array<() => StatusVerdict | null> = [
    () => {
      const t = fired(c.pageHung, next.pageHungSinceMs, config.pageHungTimeoutMs ?? DEFAULT_PAGE_HUNG_TIMEOUT_MS);
      return t === null
        ? null
        : { kind: 'error', reason: 'page_hung', message: `the meeting page has not answered probes for ${seconds(t)}` };
    },
    () => {
      const t = fired(c.emptyCall, next.emptyCallSinceMs, config.emptyCallTimeoutMs);
      return t === null
        ? null
        : { kind: 'finished', reason: 'empty_call', message: `the recorder has been alone in the call for ${seconds(t)}` };
    },
    () => {
      const t = fired(c.allMuted, next.allMutedSinceMs, config.allMutedTimeoutMs);
      return t === null ? null : { kind: 'finished', reason: 'all_muted', message: `every participant has been muted for ${seconds(t)}` };
    },
    () => {
      const t = fired(c.noMedia, next.noMediaSinceMs, config.noMediaTimeoutMs);
      return t === null
        ? null
        : { kind: 'error', reason: 'no_media', message: `no media received for ${seconds(t)} although participants are unmuted` };
    },
    () => {
      const t = fired(c.iceFailed, next.iceFailedSinceMs, config.iceTimeoutMs);
      return t === null ? null : { kind: 'error', reason: 'ice_failed', message: `ICE has not been connected for ${seconds(t)}` };
    },
    () => {
      const max = config.maxDurationMs;
      if (max === null || nowMs - state.startedAtMs < max) return null;
      return { kind: 'finished', reason: 'max_duration', message: `the maximum duration of ${seconds(max)} was reached` };
    },
  ];
  for (const check of checks) {
    const verdict = check();
    if (verdict) return { state: next, verdict };
  }
  return { state: next, verdict: null };
}
