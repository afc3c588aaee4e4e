/** `scriba record`: records until Ctrl-C, a status check or max duration; prints a JSON summary line. */
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../log/logger.ts';
import type { SessionResult } from '../session/session-types.ts';
import { createRecorder, newSessionId } from '../../workers/recorder.ts';
import { formatProgressLine } from './progress-line.ts';
import { buildRecordingRequest, recordConfigOverrides, type RecordFlags } from './record-options.ts';

export interface RecordRun {
  readonly result: SessionResult;
  readonly summary: Record<string, unknown>;
}

export function summarize(result: SessionResult): Record<string, unknown> {
  return {
    status: result.status,
    sessionId: result.sessionId,
    path: result.file?.path ?? null,
    durationSec: Number(result.durationSec.toFixed(3)),
    reason: result.reason,
    ...(result.failure ? { error: { code: result.failure.code, message: result.failure.message, retryable: result.failure.retryable } } : {}),
  };
}

export async function runRecord(flags: RecordFlags, io: { tty: boolean; signal?: AbortSignal } = { tty: process.stderr.isTTY === true }): Promise<RecordRun> {
  const config = loadConfig({ overrides: recordConfigOverrides(flags) });
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const request = buildRecordingRequest(flags, config, flags['session-id'] ?? newSessionId());
  const session = createRecorder(config, logger).createSession(request);

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`\n${sig}: stopping, finishing the file…\n`);
      session.stop('signal');
    } else if (signals === 2) {
      process.stderr.write(`${sig} again: still finishing the file; once more to abandon it\n`);
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (io.tty) session.on('progress', (p) => process.stderr.write(`\r${formatProgressLine(p)}\x1b[K`));
  try {
    const result = await session.run(io.signal);
    if (io.tty) process.stderr.write('\n');
    return { result, summary: summarize(result) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
