/**
 * `scriba serve`: the control API and a worker in one process on the embedded queue, the single-host default.
 * `scriba api`: the API alone (pods in front of a Redis queue). Both stop cleanly on SIGTERM/SIGINT.
 */
import { loadConfig, loadConfigWithJibri } from '../config/config.ts';
import { reportJibriConf } from '../config/jibri-conf.ts';
import { createLogger } from '../log/logger.ts';
import { startApi } from '../../workers/api.ts';
import { startServe } from '../../workers/serve.ts';
import { createQueue } from '../queue/create-queue.ts';
import { localLinkRoutes } from '../storage/configured-store.ts';
import { withStopSignals } from './stop-signals.ts';

/** A signal during startup still stops cleanly (withStopSignals listens from the first line). */
export function runServe(): Promise<number> {
  return withStopSignals(serve);
}

async function serve(stopped: Promise<NodeJS.Signals>): Promise<number> {
  // The embedded worker joins Jibri breweries too: read Jibri's jibri.conf when one is named.
  const { config, jibri } = await loadConfigWithJibri();
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  if (jibri) reportJibriConf(jibri, logger);
  const stack = await startServe(config, logger);
  logger.info({ signal: await stopped }, 'shutting down');
  // New starts are refused first; running sessions then drain as in `scriba worker`.
  await stack.shutdown();
  logger.info('stopped');
  return 0;
}

export function runApi(): Promise<number> {
  return withStopSignals(apiAlone);
}

async function apiAlone(stopped: Promise<NodeJS.Signals>): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const queue = createQueue(config);
  // With the local store on a volume shared with the workers (and its secrets configured), the API serves its links.
  const api = await startApi(config, logger, queue, localLinkRoutes(config)).catch(async (err: unknown) => {
    await queue.close();
    throw err;
  });
  logger.info({ signal: await stopped }, 'shutting down');
  await api.close();
  await queue.close();
  return 0;
}
