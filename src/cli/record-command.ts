/** `scriba record`: records until Ctrl-C, a status check or max duration; prints a JSON summary line. */
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../log/logger.ts';
import type { SessionResult, StreamStatus } from '../session/session-types.ts';
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
    ...(result.stream
      ? {
          stream: {
            target: result.stream.target,
            connects: result.stream.connects,
            connectedSec: result.stream.connectedSec,
            end: result.stream.end.code,
            ...(result.stream.end.error ? { error: result.stream.end.reason } : {}),
          },
        }
      : {}),
    ...(result.failure
      ? { error: { code: result.failure.code, message: result.failure.message, retryable: result.failure.retryable } }
      : {}),
  };
}

/** One line per stream event for a terminal (the target is in the log lines, redacted). */
export function formatStreamStatus(s: StreamStatus): string {
  switch (s.status) {
    case 'connected':
      return s.reconnects === 0 ? 'stream: connected' : `stream: reconnected (${s.reconnects})`;
    case 'reconnecting':
      return `stream: ${s.reason}; reconnect attempt ${s.attempt} in ${(s.delayMs / 1000).toFixed(1)} s`;
    case 'ended':
      return `stream: ended (${s.code}): ${s.reason}`;
  }
}

export async function runRecord(
  flags: RecordFlags,
  io: { tty: boolean; signal?: AbortSignal } = { tty: process.stderr.isTTY === true },
): Promise<RecordRun> {
  const config = loadConfig({ overrides: recordConfigOverrides(flags) });
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const request = buildRecordingRequest(flags, config, flags['session-id'] ?? newSessionId());
  const session = createRecorder(config, logger).createSession(request);

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(
        `\n${sig}: stopping, ${request.outputs.some((o) => o.kind === 'file') ? 'finishing the file' : 'ending the stream'}…\n`,
      );
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
  if (io.tty) session.on('stream', (s) => process.stderr.write(`\r${formatStreamStatus(s)}\x1b[K\n`));
  try {
    const result = await session.run(io.signal);
    if (io.tty) process.stderr.write('\n');
    return { result, summary: summarize(result) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
