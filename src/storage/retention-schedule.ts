/**
 * Runs the retention sweep on a cron schedule (node-cron), never two at once in this process, until the
 * signal aborts. Several processes may each run one: the sweep is safe to run concurrently.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { onAbort } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';

export const DEFAULT_RETENTION_CRON = '*/10 * * * *';

export interface RetentionScheduleOptions {
  /** node-cron expression (5 fields, or 6 with seconds). Default every 10 minutes. */
  readonly cron?: string;
  /** One sweep; given a signal that aborts when the schedule stops. */
  readonly sweep: (signal: AbortSignal) => Promise<unknown>;
  readonly signal: AbortSignal;
  readonly logger?: Logger;
  /** Also sweep once right away (a worker that was down for a while catches up at start). */
  readonly runOnStart?: boolean;
}

export interface RetentionSchedule {
  /** Resolves once the schedule is stopped and a sweep in progress has returned. */
  readonly stopped: Promise<void>;
}

export function scheduleRetention(options: RetentionScheduleOptions): RetentionSchedule {
  const expression = options.cron ?? DEFAULT_RETENTION_CRON;
  if (!cron.validate(expression)) throw new RangeError(`invalid retention cron expression: ${expression}`);
  const log = options.logger?.child({ component: 'retention' });
  let running: Promise<void> | null = null;

  const runOnce = (): Promise<void> => {
    if (options.signal.aborted) return Promise.resolve();
    if (running !== null) return running; // the previous sweep is still going: this tick is skipped
    running = options
      .sweep(options.signal)
      .then(
        () => undefined,
        (err: unknown) => log?.error({ err: err instanceof Error ? err.message : String(err) }, 'retention sweep failed'),
      )
      .finally(() => {
        running = null;
      });
    return running;
  };

  const task: ScheduledTask = cron.schedule(expression, runOnce, {
    name: 'scriba-retention',
    noOverlap: true,
    // node-cron's own messages (e.g. a missed tick after a long GC pause) go to our log, not the console.
    logger: {
      info: (m) => log?.debug(m),
      warn: (m) => log?.warn(m),
      error: (m, e) => log?.error({ err: e?.message ?? String(m) }, 'node-cron'),
      debug: (m) => log?.debug(String(m)),
    },
  });
  if (options.runOnStart === true) void runOnce();

  const stopped = new Promise<void>((resolveStopped) => {
    const stop = (): void => {
      void Promise.resolve(task.destroy())
        .then(() => running)
        .then(() => resolveStopped());
    };
    onAbort(options.signal, stop);
  });
  return { stopped };
}
