/** pageCall: one page call raced against its timeout, the page's death and an AbortSignal (fake work). */
import { describe, expect, it, vi } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import { messageOf, pageCall } from '../../../src/browser/page-call.ts';
import { PageDeath } from '../../../src/browser/page-death.ts';

const never = (): Promise<never> => new Promise<never>(() => undefined);
const died = (): ScribaError => new ScribaError('browser_crashed', 'the meeting tab was closed', { retryable: true });

/** A PageDeath that counts its live listeners (each race must remove its own). */
function watchedDeath(): { death: PageDeath; listeners: () => number } {
  const death = new PageDeath();
  let live = 0;
  const subscribe = death.subscribe.bind(death);
  death.subscribe = (listener) => {
    live++;
    const off = subscribe(listener);
    return () => {
      live--;
      off();
    };
  };
  return { death, listeners: () => live };
}

describe('pageCall', () => {
  it('resolves the value of work that answers', async () => {
    const { death, listeners } = watchedDeath();
    expect(await pageCall(async () => 42, { death, timeoutMs: 1000 })).toEqual({ kind: 'ok', value: 42 });
    expect(listeners()).toBe(0);
  });

  it('reports a rejection as failed, and a synchronous throw too', async () => {
    const death = new PageDeath();
    const boom = new Error('boom');
    expect(await pageCall(async () => Promise.reject(boom), { death })).toEqual({ kind: 'failed', error: boom });
    expect(
      await pageCall(
        () => {
          throw boom;
        },
        { death },
      ),
    ).toEqual({ kind: 'failed', error: boom });
  });

  it('times out, and ignores a late result or rejection', async () => {
    const death = new PageDeath();
    let reject: (e: Error) => void = () => undefined;
    const late = new Promise<never>((_, r) => (reject = r));
    const started = performance.now();
    expect(await pageCall(() => late, { death, timeoutMs: 30 })).toEqual({ kind: 'timeout' });
    expect(performance.now() - started).toBeLessThan(10_000);
    reject(new Error('too late')); // swallowed: vitest fails the run on an unhandled rejection
    await new Promise((r) => setTimeout(r, 10));
  });

  it('waits without a limit when no timeout is given', async () => {
    const death = new PageDeath();
    const result = pageCall(() => new Promise((r) => setTimeout(() => r('done'), 50)), { death });
    expect(await result).toEqual({ kind: 'ok', value: 'done' });
  });

  it('ends at once when the page dies during the call', async () => {
    const { death, listeners } = watchedDeath();
    const error = died();
    setTimeout(() => death.mark(error), 20);
    const started = performance.now();
    expect(await pageCall(never, { death, timeoutMs: 60_000 })).toEqual({ kind: 'dead', error });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(listeners()).toBe(0);
  });

  it('does not start work on a dead page or an aborted signal', async () => {
    const work = vi.fn(async () => 1);
    const dead = new PageDeath();
    const error = dead.mark(died());
    expect(await pageCall(work, { death: dead, signal: AbortSignal.abort() })).toEqual({ kind: 'dead', error });
    expect(await pageCall(work, { death: new PageDeath(), signal: AbortSignal.abort() })).toEqual({ kind: 'aborted' });
    expect(work).not.toHaveBeenCalled();
  });

  it('ends on the signal and removes its listener afterwards', async () => {
    const death = new PageDeath();
    const ac = new AbortController();
    const remove = vi.spyOn(ac.signal, 'removeEventListener');
    setTimeout(() => ac.abort(), 20);
    expect(await pageCall(never, { death, timeoutMs: 5000, signal: ac.signal })).toEqual({ kind: 'aborted' });
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    const other = new AbortController();
    const removeOther = vi.spyOn(other.signal, 'removeEventListener');
    await pageCall(async () => 1, { death, signal: other.signal });
    expect(removeOther).toHaveBeenCalledTimes(1);
  });

  it('clears its timer once the race is over', async () => {
    vi.useFakeTimers();
    try {
      const death = new PageDeath();
      await pageCall(async () => 1, { death, timeoutMs: 60_000 });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('messageOf', () => {
  it('messageOf keeps the first line', () => {
    expect(messageOf(new Error('first\nsecond'))).toBe('first');
    expect(messageOf('plain')).toBe('plain');
  });
});
