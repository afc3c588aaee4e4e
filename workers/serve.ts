/**
 * Composition root of `scriba serve`: the API and a worker in one process, sharing the queue and, with the
 * local store, its links (the API serves them, the worker signs them with the API's address).
 */
import { randomBytes } from 'node:crypto';
import type { ScribaConfig } from '../src/config/config.ts';
import type { Logger } from '../src/log/logger.ts';
import { createLocalStore, localLinksPlugin } from '../src/storage/index.ts';
import { startApi, type RunningApi } from './api.ts';
import { createConfiguredStore } from './storage.ts';
import { createQueue, startWorker, type RunningWorker } from './worker.ts';

export interface ServeStack {
  readonly api: RunningApi;
  readonly worker: RunningWorker;
  /** API first (no new starts), then the worker drains. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Both stores must verify each other's links: an empty secret list gets one random secret for the process. */
function withLinkSecret(config: ScribaConfig, logger: Logger): ScribaConfig {
  const local = config.storage.backend === 'local' || (config.storage.backend === 's3' && config.storage.backup.backend === 'local');
  if (!local || config.storage.local.linkSecrets.length > 0) return config;
  logger.warn('storage.local.linkSecrets is empty: links are signed with a random secret and stop working when this process ends');
  return { ...config, storage: { ...config.storage, local: { ...config.storage.local, linkSecrets: [randomBytes(32).toString('base64url')] } } };
}

export async function startServe(baseConfig: ScribaConfig, logger: Logger): Promise<ServeStack> {
  const config = withLinkSecret(baseConfig, logger);
  const queue = createQueue(config);
  const local = config.storage.backend === 'local' || (config.storage.backend === 's3' && config.storage.backup.backend === 'local');
  // The serving side only verifies links, so it needs no public address.
  const serving = local ? createLocalStore({ root: config.storage.local.root, publicBaseUrl: '', linkSecret: config.storage.local.linkSecrets }) : null;
  const api = await startApi(config, logger, queue, serving ? (app) => void localLinksPlugin(app, { store: serving }) : undefined).catch(async (err: unknown) => {
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
