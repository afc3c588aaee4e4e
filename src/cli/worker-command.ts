/** `scriba worker` (run jobs from the queue until SIGTERM) and `scriba enqueue` (submit one). */
import { randomUUID } from 'node:crypto';
import { loadConfig, loadConfigWithJibri } from '../config/config.ts';
import { reportJibriConf } from '../config/jibri-conf.ts';
import { parseJobRequest } from '../domain/job-request.ts';
import { createLogger } from '../log/logger.ts';
import { jobPolicy } from '../config/job-policy.ts';
import { createQueue } from '../queue/create-queue.ts';
import { startWorker } from '../../workers/worker.ts';
import { isLoopbackUrl } from './record-options.ts';
import { withStopSignals } from './stop-signals.ts';

export function runWorker(): Promise<number> {
  return withStopSignals(workUntilStopped);
}

async function workUntilStopped(stopped: Promise<NodeJS.Signals>): Promise<number> {
  // The worker joins Jibri breweries, so it also reads Jibri's jibri.conf when one is named.
  const { config, jibri } = await loadConfigWithJibri();
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  if (jibri) reportJibriConf(jibri, logger);
  const queue = createQueue(config);
  const worker = await startWorker(config, logger, queue).catch(async (err: unknown) => {
    logger.fatal({ err }, 'the worker could not start');
    await queue.close().catch(() => undefined);
    throw err;
  });
  // /readyz turns false at once (draining); running sessions get drainGraceSec, then a clean stop.
  logger.info({ signal: await stopped }, 'draining');
  await worker.shutdown();
  logger.info('worker stopped');
  return 0;
}

export interface EnqueueFlags {
  readonly url?: string | undefined;
  readonly 'max-duration'?: string | undefined;
  readonly resolution?: string | undefined;
  readonly 'session-id'?: string | undefined;
}

export async function runEnqueue(flags: EnqueueFlags): Promise<number> {
  const config = loadConfig();
  const policy = jobPolicy(config);
  const request = parseJobRequest(
    {
      meetingUrl: flags.url,
      file: flags.resolution ? { resolution: flags.resolution } : true,
      ...(flags['max-duration'] ? { maxDurationSec: Number(flags['max-duration']) } : {}),
      ...(flags['session-id'] ? { sessionId: flags['session-id'] } : {}),
    },
    // The operator's own command, like `scriba record`: a meeting on this machine (any port, http) is fine.
    isLoopbackUrl(flags.url ?? '')
      ? { ...policy, allowHttp: true, allowedMeetingHosts: [...policy.allowedMeetingHosts, `${new URL(flags.url ?? '').hostname}:*`] }
      : policy,
    randomUUID,
  );
  const queue = createQueue(config);
  try {
    const id = await queue.enqueue(request, { jobId: request.sessionId });
    process.stdout.write(`${JSON.stringify({ jobId: id, sessionId: request.sessionId })}\n`);
    return 0;
  } finally {
    await queue.close();
  }
}
