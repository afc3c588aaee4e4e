/**
 * Loops asleep until their next look, and the wake-up that cuts every sleep short at once: a job became
 * claimable or the queue closes (the embedded queue's wake and the Redis marker wake), an event was published
 * or an attempt finished (the webhook sender).
 */
import { pause, type WaitOptions } from './abort.ts';

export class Sleepers {
  /** Each sleeper's wake: it leaves the set as soon as it is called, so the set holds only those still asleep. */
  readonly #waiting = new Set<() => void>();

  /** How many are asleep now. */
  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Resolves after ms, when the signal aborts, or at the next wakeAll(), whichever is first. The sleeper counts
   * in `size` from the call on (synchronously), until it resolves. `unref`: the sleep alone does not keep the
   * process alive.
   */
  async sleep(ms: number, signal: AbortSignal, options: WaitOptions = {}): Promise<void> {
    const woken = new AbortController();
    const wake = (): void => {
      this.#waiting.delete(wake);
      woken.abort();
    };
    this.#waiting.add(wake);
    try {
      await pause(ms, AbortSignal.any([signal, woken.signal]), options);
    } finally {
      this.#waiting.delete(wake);
    }
  }

  wakeAll(): void {
    for (const wake of [...this.#waiting]) wake();
  }
}
