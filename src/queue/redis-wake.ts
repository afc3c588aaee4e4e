/**
 * Wakes waiting claimers of a BullMQ queue as soon as a job becomes claimable, on Redis's own signal: every
 * BullMQ script that puts a job in the wait list (add, retry, a stalled job's recovery) also adds a "marker"
 * to `<queue>:marker`, and BullMQ's own workers block on it with BZPOPMIN. This does the same on one
 * dedicated connection per process, only while some claim is waiting, and wakes every local waiter; they
 * then claim without blocking, as before, so leases and lock tokens are untouched.
 *
 * A marker wakes one blocked client (Redis serves the longest waiting first) and a successful claim adds the
 * next marker, so two processes waiting for two jobs both wake. The waiter's own poll remains the fallback.
 */
import type { Redis } from 'ioredis';
import { pause } from '../lib/abort.ts';
import { Sleepers } from '../lib/sleepers.ts';

export interface RedisWake {
  /** Resolves after ms, when a marker arrives, or when the signal aborts, whichever is first. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** How long one BZPOPMIN blocks: bounds how long the blocking connection outlives the last waiter. */
const BLOCK_SEC = 1;

export function createRedisWake(client: Redis, markerKey: string): RedisWake {
  const waiters = new Sleepers();
  let blocking: Redis | null = null;
  let looping = false;
  const closing = new AbortController();

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (waiters.size > 0 && !closing.signal.aborted) {
        if (blocking === null) {
          blocking = client.duplicate();
          blocking.on('error', () => undefined); // reconnects by itself; the poll covers the gap
        }
        let popped: unknown;
        try {
          popped = await blocking.bzpopmin(markerKey, BLOCK_SEC);
        } catch {
          if (closing.signal.aborted) return;
          await pause(1000, closing.signal); // Redis unreachable: the waiters' poll carries on
          continue;
        }
        if (popped === null) continue;
        if (waiters.size === 0) {
          // Nobody here wants it any more: put it back for another process's claimer.
          await client.zadd(markerKey, 0, '0').catch(() => undefined);
          return;
        }
        waiters.wakeAll();
      }
    } finally {
      looping = false;
    }
  }
  const ensureLoop = (): void => {
    if (looping || closing.signal.aborted) return;
    void loop().then(() => {
      // A waiter that arrived while the loop was ending must not be left to its poll.
      if (waiters.size > 0) ensureLoop();
    });
  };

  return {
    async wait(ms, signal) {
      if (signal.aborted || closing.signal.aborted) return;
      // Counts as waiting from here on: the loop, which wakes it, then sees whether anyone still waits.
      const slept = waiters.sleep(ms, AbortSignal.any([signal, closing.signal]));
      ensureLoop();
      await slept;
    },
    async close() {
      closing.abort();
      // Ends a BZPOPMIN in flight at once (it rejects; the loop sees closing).
      blocking?.disconnect();
    },
  };
}
