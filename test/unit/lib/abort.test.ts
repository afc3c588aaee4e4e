import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import {
  abortError,
  deadlineError,
  deadlineSignal,
  onAbort,
  pause,
  raceSignal,
  settlesWithin,
  sleep,
  withDeadline,
} from '../../../src/lib/abort.ts';

afterEach(() => {
  vi.useRealTimers();
});

function listenerCount(signal: AbortSignal): number {
  // Node keeps the listeners of an EventTarget behind a symbol; counting them is only a test aid.
  const sym = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kEvents');
  const events = sym === undefined ? undefined : (signal as unknown as Record<symbol, Map<string, { size: number }>>)[sym];
  return events?.get('abort')?.size ?? 0;
}

describe('abortError', () => {
  it("is ScribaError('aborted') with the signal's reason as cause", () => {
    const c = new AbortController();
    c.abort('why');
    const err = abortError(c.signal, 'the browser launch');
    expect(err).toBeInstanceOf(ScribaError);
    expect(err.code).toBe('aborted');
    expect(err.message).toBe('the browser launch was aborted');
    expect(err.cause).toBe('why');
    expect(abortError(c.signal).message).toBe('the operation was aborted');
    expect(abortError(undefined, 'ffmpeg').message).toBe('ffmpeg was aborted');
  });
});

describe('onAbort', () => {
  it('calls once on abort, at once if already aborted, and removes its listener', () => {
    const c = new AbortController();
    const calls: string[] = [];
    const remove = onAbort(c.signal, () => calls.push('a'));
    expect(listenerCount(c.signal)).toBe(1);
    remove();
    expect(listenerCount(c.signal)).toBe(0);
    onAbort(c.signal, () => calls.push('b'));
    c.abort();
    c.abort();
    onAbort(c.signal, () => calls.push('c'));
    expect(calls).toEqual(['b', 'c']);
    expect(onAbort(undefined, () => calls.push('d'))).toBeTypeOf('function');
    expect(calls).toEqual(['b', 'c']);
  });
});

describe('pause', () => {
  it('resolves after the time, leaving no listener', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    let done = false;
    void pause(100, c.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(listenerCount(c.signal)).toBe(0);
  });

  it('resolves early (never rejects) on abort and clears its timer', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const p = pause(10_000, c.signal);
    c.abort();
    await expect(p).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await expect(pause(10_000, c.signal)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('can leave the process free to exit (unref)', async () => {
    const p = pause(5, undefined, { unref: true });
    await expect(p).resolves.toBeUndefined();
  });
});

describe('sleep', () => {
  it('resolves after the time', async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(50).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(true);
  });

  it('rejects with the abort error on abort, clears its timer and listener', async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const p = sleep(10_000, c.signal, { what: 'the wait' });
    c.abort('stop');
    await expect(p).rejects.toMatchObject({ code: 'aborted', message: 'the wait was aborted', cause: 'stop' });
    expect(vi.getTimerCount()).toBe(0);
    expect(listenerCount(c.signal)).toBe(0);
  });

  it('rejects at once when the signal already aborted', async () => {
    await expect(sleep(10_000, AbortSignal.abort())).rejects.toMatchObject({ code: 'aborted', message: 'the operation was aborted' });
  });
});

describe('raceSignal', () => {
  it('settles as the promise does and removes its listener', async () => {
    const c = new AbortController();
    await expect(raceSignal(Promise.resolve(1), c.signal)).resolves.toBe(1);
    await expect(raceSignal(Promise.reject(new Error('no')), c.signal)).rejects.toThrow('no');
    expect(listenerCount(c.signal)).toBe(0);
  });

  it('rejects when the signal aborts first, with the chosen reason; a late rejection is swallowed', async () => {
    const c = new AbortController();
    let rejectLate!: (e: Error) => void;
    const work = new Promise<number>((_, reject) => {
      rejectLate = reject;
    });
    const raced = raceSignal(work, c.signal, (s) => s.reason);
    c.abort('gone');
    await expect(raced).rejects.toBe('gone');
    rejectLate(new Error('late'));
    await expect(raceSignal(new Promise(() => undefined), AbortSignal.abort())).rejects.toMatchObject({ code: 'aborted' });
  });

  it('without a signal is the promise itself', () => {
    const p = Promise.resolve(2);
    expect(raceSignal(p, undefined)).toBe(p);
  });
});

describe('withDeadline', () => {
  it('settles as the work does and clears its timer', async () => {
    vi.useFakeTimers();
    await expect(withDeadline(Promise.resolve('ok'), 1000)).resolves.toBe('ok');
    await expect(withDeadline(Promise.reject(new Error('bad')), 1000)).rejects.toThrow('bad');
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects after the time with 'timed out after <ms> ms' and aborts the work's signal", async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const p = withDeadline((signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }, 300);
    const check = expect(p).rejects.toThrow(/^timed out after 300 ms$/);
    await vi.advanceTimersByTimeAsync(300);
    await check;
    expect(seen?.aborted).toBe(true);
    expect(deadlineError(5, 'the probe').message).toBe('the probe timed out after 5 ms');
  });
});

describe('settlesWithin', () => {
  it('true when the promise resolves in time, false when late; rejections pass through', async () => {
    vi.useFakeTimers();
    await expect(settlesWithin(Promise.resolve(), 100)).resolves.toBe(true);
    const late = settlesWithin(new Promise(() => undefined), 100);
    await vi.advanceTimersByTimeAsync(100);
    await expect(late).resolves.toBe(false);
    await expect(settlesWithin(Promise.reject(new Error('x')), 100)).rejects.toThrow('x');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError after the time, or when the parent aborts', async () => {
    const timed = deadlineSignal(5);
    await new Promise((r) => timed.addEventListener('abort', r, { once: true }));
    expect((timed.reason as Error).name).toBe('TimeoutError');
    const parent = new AbortController();
    const child = deadlineSignal(60_000, parent.signal);
    parent.abort('parent');
    expect(child.aborted).toBe(true);
    expect(child.reason).toBe('parent');
  });
});
