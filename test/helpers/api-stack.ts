/** `scriba serve` in the test process: one queue, a worker and the API on it; close() stops all three. */
import type { ScribaConfig } from '../../src/config/config.ts';
import type { Logger } from '../../src/log/logger.ts';
import { startApi, type RunningApi } from '../../workers/api.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { startWorker, type RunningWorker } from '../../workers/worker.ts';

export interface ApiStack {
  readonly api: RunningApi;
  readonly worker: RunningWorker;
  close(): Promise<void>;
}

export async function startApiStack(config: ScribaConfig, logger: Logger): Promise<ApiStack> {
  const queue = createQueue(config);
  const worker = await startWorker(config, logger, queue);
  const api = await startApi(config, logger, queue);
  return {
    api,
    worker,
    async close() {
      await api.close();
      await worker.shutdown(10_000);
    },
  };
}
