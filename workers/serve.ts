/**
 * Composition root of `scriba serve`: the API and a worker in one process, sharing the queue and, with the
 * local store, its links (the API serves them, the worker signs them with the API's address).
 */
import type { ScribaConfig } from '../src/config/config.ts';
import type { Logger } from '../src/log/logger.ts';
import { createQueue } from '../src/queue/create-queue.ts';
import { createConfiguredStore, localLinkRoutes, withLinkSecret } from '../src/storage/configured-store.ts';
// Built from the two roots it runs side by side: their start functions are its parts.
import { startApi, type RunningApi } from './api.ts';
import { startWorker, type RunningWorker } from './worker.ts';

export interface ServeStack {
  readonly api: RunningApi;
  readonly worker: RunningWorker;
  /** API first (no new starts), then the worker drains. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startServe(baseConfig: ScribaConfig, logger: Logger): Promise<ServeStack> {
  const config = withLinkSecret(baseConfig, logger);
  const queue = createQueue(config);
  const api = await startApi(config, logger, queue, localLinkRoutes(config)).catch(async (err: unknown) => {
    await queue.close();
    throw err;
  });
  let worker: RunningWorker;
  try {
    worker = await startWorker(config, logger, queue, { store: createConfiguredStore(config, logger, api.url) });
  } catch (err) {
    await api.close();
    await queue.close();
    throw err;
  }
  let down: Promise<void> | null = null;
  return {
    api,
    worker,
    shutdown(graceMs?: number) {
      down ??= (async () => {
        await api.close();
        await worker.shutdown(graceMs);
      })();
      return down;
    },
  };
}
