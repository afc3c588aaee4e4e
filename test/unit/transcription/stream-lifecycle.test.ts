import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamLifecycle } from '../../../src/transcription/stream-lifecycle.ts';

function lifecycle(signal = new AbortController().signal) {
  const calls: string[] = [];
  const life = new StreamLifecycle({
    engine: 'Vosk',
    label: 'alice',
    signal,
    endTimeoutMs: 1_000,
    release: () => calls.push('release'),
    onGone: () => calls.push('gone'),
  });
  return { life, calls };
}

describe('StreamLifecycle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ends once: the engine sends its rest, finish() resolves end() and completes results', async () => {
    const { life, calls } = lifecycle();
    let sent = 0;
    const ended = life.end(() => sent++);
    expect(life.end(() => sent++)).toBe(ended);
    expect([sent, life.ending, life.accepting]).toEqual([1, true, false]);
    life.results.push({ final: true, text: 'hi', confidence: null, startSec: 0, endSec: 1 });
    life.finish();
    life.fail(new Error('late'));
    await expect(ended).resolves.toBeUndefined();
    const got = [];
    for await (const r of life.results) got.push(r.text);
    expect(got).toEqual(['hi']);
    expect(calls).toEqual(['release', 'gone']);
  });

  it('fails the stream when the engine does not finish within endTimeoutMs', async () => {
    const { life } = lifecycle();
    const ended = life.end(() => undefined);
    vi.advanceTimersByTime(1_000);
    await expect(ended).rejects.toMatchObject({ reason: 'unavailable', message: 'Vosk did not finish alice within 1000 ms of end()' });
  });

  it('aborts with the signal, also one aborted before start (deferred)', async () => {
    const ac = new AbortController();
    const { life, calls } = lifecycle(ac.signal);
    ac.abort();
    await expect(life.end(() => undefined)).rejects.toMatchObject({ code: 'aborted' });
    expect(calls).toEqual(['release', 'gone']);
    const gone = new AbortController();
    gone.abort();
    const early = lifecycle(gone.signal);
    expect(early.life.accepting).toBe(false);
    await Promise.resolve();
    expect(early.life.settled).toBe(true);
  });

  it('retries after each delay in turn, starts over after a success, gives up when the delays are spent', async () => {
    const { life } = lifecycle();
    let retries = 0;
    const giveUp = (n: number) => new Error(`failed ${n} times`);
    expect(life.retryAfter([10, 20], () => retries++, giveUp)).toBe(10);
    expect(life.retrying).toBe(true);
    vi.advanceTimersByTime(10);
    expect([retries, life.retrying]).toEqual([1, false]);
    life.succeeded();
    expect(life.retryAfter([10, 20], () => retries++, giveUp)).toBe(10);
    vi.advanceTimersByTime(10);
    expect(life.retryAfter([10, 20], () => retries++, giveUp)).toBe(20);
    vi.advanceTimersByTime(20);
    expect(life.retryAfter([10, 20], () => retries++, giveUp)).toBeNull();
    expect(retries).toBe(3);
    await expect(life.end(() => undefined)).rejects.toThrow('failed 3 times');
  });
});
