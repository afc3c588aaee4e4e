import { describe, expect, it } from 'vitest';
import type { ProbeSnapshot } from '../../../src/browser/probe-snapshot.ts';
import {
  conditionsOf,
  evaluateStatusChecks,
  initialCheckState,
  JIBRI_DEFAULTS,
  type StatusCheckConfig,
  type StatusCheckReason,
  type StatusVerdict,
} from '../../../src/browser/status-checks.ts';

const S = 1000;
const MIN = 60 * S;

/** A healthy call: three people, media flowing, ICE up. */
const HEALTHY: ProbeSnapshot = {
  joined: true,
  participantCount: 3,
  downloadKbps: 800,
  iceConnected: true,
  allMuted: false,
  e2ee: false,
  pageResponsive: true,
};
const ALONE: Partial<ProbeSnapshot> = { participantCount: 1, downloadKbps: 0, allMuted: true, iceConnected: false };
const UNKNOWN: ProbeSnapshot = {
  joined: null,
  participantCount: null,
  downloadKbps: null,
  iceConnected: null,
  allMuted: null,
  e2ee: null,
  pageResponsive: true,
};
const HUNG: ProbeSnapshot = { ...UNKNOWN, pageResponsive: false };

type Step = readonly [atMs: number, snapshot: Partial<ProbeSnapshot> | ProbeSnapshot];

/** Runs the reducer over a fake clock; returns the verdict reason (or null) after each step. */
function run(steps: readonly Step[], config: StatusCheckConfig = JIBRI_DEFAULTS): Array<StatusCheckReason | null> {
  let state = initialCheckState(0);
  return steps.map(([at, partial]) => {
    const result = evaluateStatusChecks(state, { ...HEALTHY, ...partial }, at, config);
    state = result.state;
    return result.verdict?.reason ?? null;
  });
}

/** Steps every 15 s (Jibri's interval) from `from` to `to` inclusive with the same snapshot. */
function every15s(from: number, to: number, snapshot: Partial<ProbeSnapshot>): Step[] {
  const steps: Step[] = [];
  for (let t = from; t <= to; t += 15 * S) steps.push([t, snapshot]);
  return steps;
}

function lastVerdict(steps: readonly Step[], config: StatusCheckConfig = JIBRI_DEFAULTS): StatusVerdict | null {
  let state = initialCheckState(0);
  let verdict: StatusVerdict | null = null;
  for (const [at, partial] of steps) {
    const r = evaluateStatusChecks(state, { ...HEALTHY, ...partial }, at, config);
    state = r.state;
    verdict = r.verdict;
  }
  return verdict;
}

describe('status checks', () => {
  it('has Jibri defaults', () => {
    expect(JIBRI_DEFAULTS).toEqual({
      emptyCallTimeoutMs: 30_000,
      noMediaTimeoutMs: 180_000,
      allMutedTimeoutMs: 600_000,
      iceTimeoutMs: 30_000,
      pageHungTimeoutMs: 60_000,
      maxDurationMs: null,
    });
  });

  it('a healthy call never fires', () => {
    expect(run(every15s(0, 3 * 60 * MIN, {})).every((v) => v === null)).toBe(true);
  });

  describe.each<{ name: string; steps: Step[]; expected: Array<StatusCheckReason | null>; config?: StatusCheckConfig }>([
    // --- empty call: 30 s alone, measured from the first snapshot seen alone
    {
      name: 'empty call fires after 30 s alone',
      steps: [
        [0, {}],
        [15 * S, ALONE],
        [30 * S, ALONE],
        [44_999, ALONE],
        [45 * S, ALONE],
      ],
      expected: [null, null, null, null, 'empty_call'],
    },
    {
      name: 'empty call resets when someone joins',
      steps: [
        [15 * S, ALONE],
        [30 * S, ALONE],
        [40 * S, {}],
        [45 * S, ALONE],
        [60 * S, ALONE],
        [74 * S, ALONE],
        [75 * S, ALONE],
      ],
      expected: [null, null, null, null, null, null, 'empty_call'],
    },
    {
      name: 'an unknown participant count neither resets nor fires',
      steps: [
        [0, ALONE],
        [15 * S, { participantCount: null }],
        [30 * S, { participantCount: null }],
        [31 * S, ALONE],
      ],
      expected: [null, null, null, 'empty_call'],
    },
    {
      name: 'an unknown participant count does not start the timer',
      steps: [
        [0, { participantCount: null }],
        [30 * S, ALONE],
        [59 * S, ALONE],
        [60 * S, ALONE],
      ],
      expected: [null, null, null, 'empty_call'],
    },
    // --- no media: download 0 while someone is unmuted, 3 min
    {
      name: 'no media fires after 3 min of zero download with unmuted participants',
      steps: [
        [0, { downloadKbps: 0 }],
        [90 * S, { downloadKbps: 0 }],
        [179_999, { downloadKbps: 0 }],
        [180 * S, { downloadKbps: 0 }],
      ],
      expected: [null, null, null, 'no_media'],
    },
    {
      name: 'no media resets when media flows again',
      steps: [
        [0, { downloadKbps: 0 }],
        [170 * S, { downloadKbps: 0 }],
        [175 * S, { downloadKbps: 12 }],
        [180 * S, { downloadKbps: 0 }],
        [359 * S, { downloadKbps: 0 }],
        [360 * S, { downloadKbps: 0 }],
      ],
      expected: [null, null, null, null, null, 'no_media'],
    },
    {
      name: 'no media: an unknown bitrate neither resets nor fires',
      steps: [
        [0, { downloadKbps: 0 }],
        [100 * S, { downloadKbps: null }],
        [180 * S, { downloadKbps: null }],
        [181 * S, { downloadKbps: 0 }],
      ],
      expected: [null, null, null, 'no_media'],
    },
    {
      name: 'no media: zero download with an unknown mute state is unknown',
      steps: [
        [0, { downloadKbps: 0, allMuted: null }],
        [200 * S, { downloadKbps: 0, allMuted: null }],
        [201 * S, { downloadKbps: 0 }],
        [380 * S, { downloadKbps: 0 }],
      ],
      expected: [null, null, null, null],
    },
    {
      name: 'no media does not count while everyone is muted (all muted resets it)',
      steps: [
        [0, { downloadKbps: 0 }],
        [170 * S, { downloadKbps: 0, allMuted: true }],
        [180 * S, { downloadKbps: 0 }],
        [359 * S, { downloadKbps: 0 }],
        [360 * S, { downloadKbps: 0 }],
      ],
      expected: [null, null, null, null, 'no_media'],
    },
    {
      name: 'no media is not an error in an empty call (the empty check ends it instead)',
      steps: [
        [0, { participantCount: 1, downloadKbps: 0, allMuted: false }],
        [200 * S, { participantCount: 1, downloadKbps: 0, allMuted: false }],
      ],
      expected: [null, null],
      config: { ...JIBRI_DEFAULTS, emptyCallTimeoutMs: 60 * MIN },
    },
    // --- all muted: 10 min
    {
      name: 'all muted finishes after 10 min',
      steps: [
        [0, { allMuted: true, downloadKbps: 0 }],
        [599_999, { allMuted: true, downloadKbps: 0 }],
        [600 * S, { allMuted: true, downloadKbps: 0 }],
      ],
      expected: [null, null, 'all_muted'],
    },
    {
      name: 'all muted resets when someone unmutes; unknown keeps it',
      steps: [
        [0, { allMuted: true }],
        [300 * S, { allMuted: false }],
        [301 * S, { allMuted: true }],
        [600 * S, { allMuted: null }],
        [900 * S, { allMuted: true }],
        [901 * S, { allMuted: true }],
      ],
      expected: [null, null, null, null, null, 'all_muted'],
    },
    // --- ICE: 30 s not connected, ignored while the call is empty
    {
      name: 'ICE fails after 30 s disconnected',
      steps: [
        [0, { iceConnected: false }],
        [15 * S, { iceConnected: false }],
        [29_999, { iceConnected: false }],
        [30 * S, { iceConnected: false }],
      ],
      expected: [null, null, null, 'ice_failed'],
    },
    {
      name: 'ICE recovers in time',
      steps: [
        [0, { iceConnected: false }],
        [20 * S, { iceConnected: true }],
        [25 * S, { iceConnected: false }],
        [50 * S, { iceConnected: false }],
        [55 * S, { iceConnected: false }],
      ],
      expected: [null, null, null, null, 'ice_failed'],
    },
    {
      name: 'ICE is ignored while the call is empty, and the empty spell resets it',
      steps: [
        [0, { iceConnected: false }],
        [20 * S, { iceConnected: false, participantCount: 1 }],
        [25 * S, { iceConnected: false }],
        [54 * S, { iceConnected: false }],
        [55 * S, { iceConnected: false }],
      ],
      expected: [null, null, null, null, 'ice_failed'],
      config: { ...JIBRI_DEFAULTS, emptyCallTimeoutMs: 60 * MIN },
    },
    {
      name: 'ICE down with an unknown participant count is unknown',
      steps: [
        [0, { iceConnected: false }],
        [20 * S, { iceConnected: false, participantCount: null }],
        [40 * S, { iceConnected: null }],
        [41 * S, { iceConnected: false }],
      ],
      expected: [null, null, null, 'ice_failed'],
    },
    // --- page hung: snapshots keep timing out
    {
      name: 'page hung after 60 s of unanswered probes',
      steps: [
        [0, HUNG],
        [30 * S, HUNG],
        [59_999, HUNG],
        [60 * S, HUNG],
      ],
      expected: [null, null, null, 'page_hung'],
    },
    {
      name: 'page hung resets when the page answers',
      steps: [
        [0, HUNG],
        [50 * S, UNKNOWN],
        [55 * S, HUNG],
        [114 * S, HUNG],
        [115 * S, HUNG],
      ],
      expected: [null, null, null, null, 'page_hung'],
    },
    {
      name: 'page hung with timeout 0 fires on the first unanswered probe (Jibri)',
      steps: [
        [0, {}],
        [15 * S, HUNG],
      ],
      expected: [null, 'page_hung'],
      config: { ...JIBRI_DEFAULTS, pageHungTimeoutMs: 0 },
    },
    {
      name: 'a hung page freezes the other timers (unknown)',
      steps: [
        [0, ALONE],
        [20 * S, HUNG],
        [31 * S, ALONE],
      ],
      expected: [null, null, 'empty_call'],
    },
    // --- max duration, counted from the start
    {
      name: 'max duration stops the session',
      steps: [
        [0, {}],
        [60 * MIN - 1, {}],
        [60 * MIN, {}],
      ],
      expected: [null, null, 'max_duration'],
      config: { ...JIBRI_DEFAULTS, maxDurationMs: 60 * MIN },
    },
    // --- priority: page_hung, empty_call, all_muted, no_media, ice_failed, max_duration
    {
      name: 'alone with ICE down: the reason is the empty call (ICE is ignored while empty)',
      steps: [
        [0, ALONE],
        [30 * S, { ...ALONE, participantCount: 1 }],
      ],
      expected: [null, 'empty_call'],
    },
    {
      name: 'all muted wins over ICE when both are due',
      steps: [
        [0, { allMuted: true, iceConnected: false }],
        [30 * S, { allMuted: true, iceConnected: false }],
      ],
      expected: [null, 'all_muted'],
      config: { ...JIBRI_DEFAULTS, allMutedTimeoutMs: 30 * S },
    },
    {
      name: 'no media wins over ICE and max duration',
      steps: [
        [0, { downloadKbps: 0, iceConnected: false }],
        [30 * S, { downloadKbps: 0, iceConnected: false }],
      ],
      expected: [null, 'no_media'],
      config: { ...JIBRI_DEFAULTS, noMediaTimeoutMs: 30 * S, maxDurationMs: 30 * S },
    },
    {
      name: 'ICE wins over max duration',
      steps: [
        [0, { iceConnected: false }],
        [30 * S, { iceConnected: false }],
      ],
      expected: [null, 'ice_failed'],
      config: { ...JIBRI_DEFAULTS, maxDurationMs: 30 * S },
    },
    {
      name: 'page hung wins over max duration',
      steps: [[0, HUNG]],
      expected: ['page_hung'],
      config: { ...JIBRI_DEFAULTS, pageHungTimeoutMs: 0, maxDurationMs: 0 },
    },
  ])('$name', ({ steps, expected, config }) => {
    it('gives the expected verdicts', () => {
      expect(run(steps, config ?? JIBRI_DEFAULTS)).toEqual(expected);
    });
  });

  it('uses the default page-hung timeout when the config has none', () => {
    const { pageHungTimeoutMs: _omitted, ...rest } = JIBRI_DEFAULTS;
    expect(
      run(
        [
          [0, HUNG],
          [59_999, HUNG],
          [60 * S, HUNG],
        ],
        rest,
      ),
    ).toEqual([null, null, 'page_hung']);
  });

  it('names the kind and says how long', () => {
    expect(
      lastVerdict([
        [0, ALONE],
        [30 * S, ALONE],
      ]),
    ).toEqual({
      kind: 'finished',
      reason: 'empty_call',
      message: 'the recorder has been alone in the call for 30 s',
    });
    expect(
      lastVerdict([
        [0, { downloadKbps: 0 }],
        [181_500, { downloadKbps: 0 }],
      ]),
    ).toEqual({
      kind: 'error',
      reason: 'no_media',
      message: 'no media received for 181.5 s although participants are unmuted',
    });
    expect(
      lastVerdict([
        [0, { allMuted: true }],
        [600 * S, { allMuted: true }],
      ])?.kind,
    ).toBe('finished');
    expect(
      lastVerdict([
        [0, { iceConnected: false }],
        [30 * S, { iceConnected: false }],
      ])?.kind,
    ).toBe('error');
    expect(
      lastVerdict([
        [0, HUNG],
        [60 * S, HUNG],
      ])?.kind,
    ).toBe('error');
    expect(lastVerdict([[60 * S, {}]], { ...JIBRI_DEFAULTS, maxDurationMs: 60 * S })).toEqual({
      kind: 'finished',
      reason: 'max_duration',
      message: 'the maximum duration of 60 s was reached',
    });
  });

  it('is pure: the input state is not changed and the same input gives the same output', () => {
    const state = Object.freeze(initialCheckState(5));
    const a = evaluateStatusChecks(state, { ...HEALTHY, ...ALONE }, 10, JIBRI_DEFAULTS);
    const b = evaluateStatusChecks(state, { ...HEALTHY, ...ALONE }, 10, JIBRI_DEFAULTS);
    expect(state).toEqual(initialCheckState(5));
    expect(a).toEqual(b);
    expect(a.state.emptyCallSinceMs).toBe(10);
  });

  it('classifies conditions as holds / does not hold / unknown', () => {
    expect(conditionsOf(HEALTHY)).toEqual({ pageHung: false, emptyCall: false, allMuted: false, noMedia: false, iceFailed: false });
    expect(conditionsOf(UNKNOWN)).toEqual({ pageHung: false, emptyCall: null, allMuted: null, noMedia: null, iceFailed: null });
    expect(conditionsOf(HUNG)).toEqual({ pageHung: true, emptyCall: null, allMuted: null, noMedia: null, iceFailed: null });
    expect(conditionsOf({ ...UNKNOWN, participantCount: 1 })).toEqual({
      pageHung: false,
      emptyCall: true,
      allMuted: null,
      noMedia: false,
      iceFailed: false,
    });
    expect(conditionsOf({ ...UNKNOWN, downloadKbps: 5 }).noMedia).toBe(false);
    expect(conditionsOf({ ...UNKNOWN, downloadKbps: 0, allMuted: false }).noMedia).toBe(true);
    expect(conditionsOf({ ...UNKNOWN, iceConnected: true }).iceFailed).toBe(false);
    expect(conditionsOf({ ...UNKNOWN, iceConnected: false, participantCount: 2 }).iceFailed).toBe(true);
  });
});
