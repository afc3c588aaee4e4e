/** `scriba worker` (run jobs from the queue until SIGTERM) and `scriba enqueue` (submit one). */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config/config.ts';
import { parseJobRequest } from '../domain/job-request.ts';
import { createLogger } from '../log/logger.ts';
import { createQueue, jobPolicy, startWorker } from '../../workers/worker.ts';
import { isLoopbackUrl } from './record-options.ts';

export async function runWorker(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const worker = await startWorker(config, logger);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      // /readyz turns false at once (draining); running sessions get drainGraceSec, then a clean stop.
      logger.info({ signal: sig }, 'draining');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
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
    { ...policy, allowHttp: policy.allowHttp || isLoopbackUrl(flags.url ?? '') },
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
