import { afterEach, describe, expect, it, vi } from 'vitest';
import { WarmPool } from '../../../src/session/warm-pool.ts';

/** A fake item: dies when told; every start, death and discard lands in `calls`. */
interface Item {
  readonly id: number;
  die(): void;
  readonly dead: Promise<string>;
}

function fakes(o: { failStarts?: number; holdStarts?: boolean } = {}) {
  const calls: string[] = [];
  const items: Item[] = [];
  const held: Array<() => void> = [];
  let failures = o.failStarts ?? 0;
  let next = 0;
  const log = { info: vi.fn(), warn: vi.fn(), debug: vi.fn() };
  const deps = {
    log,
    retryDelayMs: 10,
    maxRetryDelayMs: 40,
    async start(signal: AbortSignal): Promise<Item> {
      const id = ++next;
      calls.push(`start ${id}`);
      if (o.holdStarts) {
        await new Promise<void>((resolve, reject) => {
          held.push(resolve);
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      if (failures > 0) {
        failures -= 1;
        throw new Error(`start ${id} failed`);
      }
      let die = () => {};
      const dead = new Promise<string>((resolve) => (die = () => resolve(`item ${id} died`)));
      const item = { id, die, dead };
      items.push(item);
      return item;
    },
    whenDead: (item: Item) => item.dead,
    async discard(item: Item) {
      calls.push(`discard ${item.id}`);
    },
  };
  return { calls, items, held, log, deps };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('WarmPool', () => {
  let pool: WarmPool<Item> | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('fills to its size, hands an item out once and starts a replacement', async () => {
    const f = fakes();
    pool = new WarmPool({ ...f.deps, size: 2 });
    expect(pool.take()).toBeNull();
    pool.start();
    await settle();
    expect(pool.stats()).toEqual({ ready: 2, starting: 0, taken: 0 });
    const first = pool.take();
    expect(first?.id).toBe(1);
    await settle();
    expect(f.calls).toEqual(['start 1', 'start 2', 'start 3']);
    expect(pool.stats()).toEqual({ ready: 2, starting: 0, taken: 1 });
    // A taken item is its taker's: the pool never discards it, not even on close.
    await pool.close();
    expect(f.calls).toEqual(['start 1', 'start 2', 'start 3', 'discard 2', 'discard 3']);
  });

  it('size 0 starts nothing', async () => {
    const f = fakes();
    pool = new WarmPool({ ...f.deps, size: 0 });
    pool.start();
    await settle();
    expect(pool.take()).toBeNull();
    expect(f.calls).toEqual([]);
  });

  it('an idle item that dies is discarded and replaced, never handed out', async () => {
    const f = fakes();
    pool = new WarmPool({ ...f.deps, size: 1 });
    pool.start();
    await settle();
    f.items[0]!.die();
    await settle();
    expect(f.calls).toEqual(['start 1', 'discard 1', 'start 2']);
    expect(pool.take()?.id).toBe(2);
    expect(f.log.warn).toHaveBeenCalledWith({ why: 'item 1 died' }, expect.stringContaining('died while idle'));
  });

  it('a taken item that dies later is left to its taker', async () => {
    const f = fakes();
    pool = new WarmPool({ ...f.deps, size: 1 });
    pool.start();
    await settle();
    const item = pool.take()!;
    await settle();
    item.die();
    await settle();
    expect(f.calls).toEqual(['start 1', 'start 2']);
  });

  it('a failed start is retried after a growing delay; the pool fills once starts work again', async () => {
    const f = fakes({ failStarts: 2 });
    pool = new WarmPool({ ...f.deps, size: 1 });
    pool.start();
    await settle();
    expect(pool.stats().ready).toBe(0);
    expect(pool.take()).toBeNull();
    await vi.waitFor(() => expect(pool!.stats().ready).toBe(1), { timeout: 30_000 });
    expect(f.calls).toEqual(['start 1', 'start 2', 'start 3']);
    expect(f.log.warn).toHaveBeenCalledTimes(2);
    expect(f.log.warn.mock.calls.map((c) => (c[0] as { retryInMs: number }).retryInMs)).toEqual([10, 20]);
  });

  it('close aborts starts under way, waits for them, and then hands nothing out', async () => {
    const f = fakes({ holdStarts: true });
    pool = new WarmPool({ ...f.deps, size: 2 });
    pool.start();
    await settle();
    expect(pool.stats().starting).toBe(2);
    await pool.close();
    expect(pool.stats()).toEqual({ ready: 0, starting: 0, taken: 0 });
    expect(pool.take()).toBeNull();
    expect(f.log.warn).not.toHaveBeenCalled();
  });

  it('an item whose start finishes after close is discarded at once', async () => {
    const f = fakes({ holdStarts: true });
    // A start that cannot be cut short: it ignores the abort and completes.
    pool = new WarmPool({ ...f.deps, size: 1, start: () => f.deps.start(new AbortController().signal) });
    pool.start();
    await settle();
    const closing = pool.close();
    f.held[0]!();
    await closing;
    expect(f.calls).toEqual(['start 1', 'discard 1']);
  });

  it('close is idempotent', async () => {
    const f = fakes();
    pool = new WarmPool({ ...f.deps, size: 1 });
    pool.start();
    await settle();
    expect(pool.close()).toBe(pool.close());
    await pool.close();
    expect(f.calls).toEqual(['start 1', 'discard 1']);
  });
});
