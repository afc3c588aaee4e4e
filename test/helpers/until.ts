/** Polling for a condition that a loop running in the background makes true. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once cond() holds (checked every 2 ms); throws after timeoutMs. The limit only keeps a broken test
 * from hanging, so it is generous: a loaded 2-core CI machine has stalled a test process for over 3 s.
 */
export async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}
