/** Shared set-up for recording integration tests: config on temp dirs, quiet logger, one session. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { parseMeetingUrl } from '../../src/domain/meeting-target.ts';
import { loadConfig, type ScribaConfig } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import { sessionOutputs } from '../../src/session/session-outputs.ts';
import type { RecordingRequest, StreamTarget, TranscriptionTarget } from '../../src/session/session-types.ts';
import { createRecorder } from '../../workers/recorder.ts';

export function testConfig(overrides: Record<string, unknown> = {}): ScribaConfig {
  const root = mkdtempSync(`${tmpdir()}/scriba-test-`);
  return loadConfig({
    env: {},
    overrides: {
      recordingsDir: `${root}/recordings`,
      workDir: `${root}/work`,
      queue: { sqlitePath: `${root}/queue.sqlite` },
      webhooks: { outboxPath: `${root}/webhooks.sqlite` },
      // Files stay in recordingsDir unless a test asks for a store (test/integration/upload.test.ts does).
      storage: { backend: 'none', local: { root: `${root}/store` } },
      logLevel: 'warn',
      ...overrides,
      // Cold starts unless a test asks for the warm pool (test/integration/warm-pool.test.ts): an idle
      // Chromium beside every test worker only costs the capture tests CPU.
      worker: { warmSessions: 0, ...(overrides.worker as Record<string, unknown> | undefined) },
    },
  });
}

/** A logger that keeps its lines in memory (tests assert no secret reaches it). */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** The outputs as flags: a file unless `recordFile: false`, a stream or a transcription when given. */
export interface RequestExtra extends Partial<Omit<RecordingRequest, 'outputs'>> {
  readonly recordFile?: boolean;
  readonly stream?: StreamTarget | null;
  readonly transcription?: TranscriptionTarget | null;
}

export function request(url: string, sessionId: string, extra: RequestExtra = {}): RecordingRequest {
  const { recordFile = true, stream = null, transcription = null, ...rest } = extra;
  const resolution = rest.resolution ?? '720p';
  return {
    sessionId,
    target: parseMeetingUrl(url, true),
    login: null,
    roomPassword: null,
    resolution,
    maxDurationSec: 15,
    fileRecordingMetadata: {},
    ...rest,
    outputs: sessionOutputs([
      ...(recordFile ? [{ kind: 'file' as const, resolution }] : []),
      ...(stream === null ? [] : [{ kind: 'stream' as const, ...stream }]),
      ...(transcription === null ? [] : [{ kind: 'transcription' as const, ...transcription }]),
    ]),
  };
}

export function newSession(config: ScribaConfig, req: RecordingRequest, logger: Logger = memoryLogger().logger) {
  return createRecorder(config, logger).createSession(req);
}
