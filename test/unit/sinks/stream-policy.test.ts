/**
 * The relay classifier on the relay's real stderr (test/fixtures/ffmpeg/rtmp-relay-*.level-verbose.stderr.txt:
 * the exact argv of buildRtmpRelayCommand against nginx-rtmp, see the README there), and the reconnect rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLineSplitter, parseFfmpegLine } from '../../../src/ffmpeg/progress-parser.ts';
import {
  classifyRelayEnd,
  decideAfterFailure,
  EMPTY_OBSERVATION,
  observeRelayLine,
  type ReconnectPolicy,
  type RelayFailure,
  type RelayObservation,
  reconnectDelayMs,
} from '../../../src/sinks/stream-policy.ts';
import { streamUrlScrubber } from '../../../src/sinks/stream-url.ts';

function observe(fixture: string, url: string): RelayObservation {
  const raw = readFileSync(new URL(`../../fixtures/ffmpeg/${fixture}.level-verbose.stderr.txt`, import.meta.url), 'utf8');
  const split = createLineSplitter();
  const scrub = streamUrlScrubber(url);
  let o = EMPTY_OBSERVATION;
  for (const l of [...split.push(raw), ...split.end()]) {
    const line = parseFfmpegLine(scrub(l));
    if (line.kind !== 'progress') o = observeRelayLine(o, line.kind, line.message);
  }
  return o;
}

describe('classifyRelayEnd on real relay output', () => {
  it('nginx on_publish answering 403 (bad key): connected, never published → rejected', () => {
    const o = observe('rtmp-relay-publish-rejected', 'rtmp://127.0.0.1:45323/live/bad');
    expect(o).toMatchObject({ tcpConnected: true, published: false });
    expect(classifyRelayEnd(o)).toEqual({
      kind: 'rejected',
      detail: 'the server closed the connection before publishing started (rtmp://127.0.0.1:45323/live/***: Input/output error)',
    });
  });

  it('an application that does not exist → rejected', () => {
    expect(classifyRelayEnd(observe('rtmp-relay-unknown-app', 'rtmp://127.0.0.1:45323/nosuchapp/fixturekey')).kind).toBe('rejected');
  });

  it('`deny publish`: the publish starts, then the connection breaks at once → dropped (a rejection by the policy)', () => {
    const o = observe('rtmp-relay-publish-denied', 'rtmp://127.0.0.1:45323/closed/fixturekey');
    expect(o).toMatchObject({ tcpConnected: true, published: true });
    expect(classifyRelayEnd(o).kind).toBe('dropped');
  });

  it('nothing listening → refused', () => {
    const o = observe('rtmp-relay-connection-refused', 'rtmp://127.0.0.1:1/live/fixturekey');
    expect(o).toMatchObject({ tcpConnected: false, published: false });
    expect(classifyRelayEnd(o)).toEqual({ kind: 'refused', detail: 'connection refused' });
  });

  it("the server restarting mid-stream → dropped, with ffmpeg's words and no key", () => {
    const f = classifyRelayEnd(observe('rtmp-relay-server-restart', 'rtmp://127.0.0.1:45323/live/fixturekey'));
    expect(f.kind).toBe('dropped');
    expect(f.detail).toMatch(/Broken pipe/);
    expect(f.detail).not.toContain('fixturekey');
  });

  it('input ended: published, no error line', () => {
    const o = observe('rtmp-relay-input-ended', 'rtmp://127.0.0.1:45323/live/fixturekey');
    expect(o).toEqual({ tcpConnected: true, published: true, errors: [], stoppedFor: null });
  });

  it('our own stops, a server status error and an unreachable host', () => {
    expect(classifyRelayEnd({ ...EMPTY_OBSERVATION, stoppedFor: 'timeout' }).kind).toBe('timeout');
    expect(classifyRelayEnd({ ...EMPTY_OBSERVATION, published: true, stoppedFor: 'stalled' }).kind).toBe('stalled');
    expect(
      classifyRelayEnd({ ...EMPTY_OBSERVATION, tcpConnected: true, published: true, errors: ['[rtmp] Server error: Already publishing'] }),
    ).toEqual({
      kind: 'rejected',
      detail: 'the server answered: Already publishing',
    });
    expect(
      classifyRelayEnd({
        ...EMPTY_OBSERVATION,
        errors: ['[tcp] Failed to resolve hostname live.example.invalid: Name or service not known'],
      }).kind,
    ).toBe('unreachable');
    expect(classifyRelayEnd({ ...EMPTY_OBSERVATION, errors: ['pipe:0: Invalid data found when processing input'] })).toEqual({
      kind: 'failed',
      detail: 'pipe:0: Invalid data found when processing input',
    });
  });
});

const policy: ReconnectPolicy = { initialDelayMs: 500, maxDelayMs: 5000, windowMs: 60_000 };
const fail = (kind: RelayFailure['kind']): RelayFailure => ({ kind, detail: kind });

describe('reconnect back-off', () => {
  it('doubles from the initial delay up to the maximum, with half of it random', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => reconnectDelayMs(a, policy, 1))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 5].map((a) => reconnectDelayMs(a, policy, 0))).toEqual([250, 500, 1000, 2000, 2500]);
    expect(reconnectDelayMs(1, policy, 0.5)).toBe(375);
  });
});

describe('decideAfterFailure', () => {
  const at = (over: Partial<Parameters<typeof decideAfterFailure>[0]>) =>
    decideAfterFailure(
      { failure: fail('dropped'), established: true, outageStartedAtMs: 0, nowMs: 0, attempt: 1, random: 1, ...over },
      policy,
    );

  it.each([
    ['rejected', false, 'give_up'],
    ['dropped', false, 'give_up'], // accepted and dropped at once, before the first confirmation: deny publish
    ['refused', false, 'retry'], // the server not up yet looks like a restart: retry within the window
    ['unreachable', false, 'retry'],
    ['timeout', false, 'retry'],
    ['failed', false, 'retry'],
    ['rejected', true, 'retry'], // the key worked before: "already publishing" after a drop is temporary
    ['dropped', true, 'retry'],
    ['stalled', true, 'retry'],
  ] as const)('%s, established=%s → %s', (kind, established, action) => {
    expect(at({ failure: fail(kind), established }).action).toBe(action);
  });

  it('a rejection is final and not retryable', () => {
    expect(at({ failure: fail('rejected'), established: false })).toEqual({
      action: 'give_up',
      code: 'stream_rejected',
      retryable: false,
      reason: 'the RTMP server rejected the stream: rejected',
    });
  });

  it('retries until the next attempt would start after the window, then gives up (retryable)', () => {
    expect(at({ nowMs: 59_000, attempt: 1 })).toEqual({ action: 'retry', delayMs: 500 });
    expect(at({ nowMs: 59_600, attempt: 1 })).toEqual({
      action: 'give_up',
      code: 'stream_lost',
      retryable: true,
      reason: 'the live stream was lost and did not come back within 60 s (last: dropped)',
    });
    expect(at({ failure: fail('refused'), established: false, nowMs: 60_000 })).toMatchObject({
      code: 'stream_lost',
      reason: expect.stringMatching(/^could not connect/),
    });
  });

  it('a window of 0 means no reconnect at all', () => {
    expect(
      decideAfterFailure(
        { failure: fail('dropped'), established: true, outageStartedAtMs: 0, nowMs: 0, attempt: 1, random: 0 },
        { ...policy, windowMs: 0 },
      ).action,
    ).toBe('give_up');
  });
});
