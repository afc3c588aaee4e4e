import { describe, expect, it } from 'vitest';
import { Sleepers } from '../../../src/lib/sleepers.ts';

describe('Sleepers', () => {
  it('counts sleepers from the call on, and wakeAll ends every sleep at once', async () => {
    const s = new Sleepers();
    const never = new AbortController().signal;
    const started = Date.now();
    const both = Promise.all([s.sleep(60_000, never), s.sleep(60_000, never, { unref: true })]);
    expect(s.size).toBe(2);
    s.wakeAll();
    await both;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.size).toBe(0);
  });

  it('ends one sleep on its own signal or its time, leaving the others asleep', async () => {
    const s = new Sleepers();
    const stop = new AbortController();
    const other = s.sleep(60_000, new AbortController().signal);
    const aborted = s.sleep(60_000, stop.signal);
    stop.abort();
    await aborted;
    await s.sleep(5, new AbortController().signal);
    expect(s.size).toBe(1);
    s.wakeAll();
    await other;
    expect(s.size).toBe(0);
  });
});
