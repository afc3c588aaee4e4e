/** Shared set-up for recording integration tests: config on temp dirs, quiet logger, one session. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { parseMeetingUrl } from '../../src/browser/meeting-url.ts';
import { loadConfig, type ScribaConfig } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import type { RecordingRequest } from '../../src/session/session-types.ts';
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

export function request(url: string, sessionId: string, extra: Partial<RecordingRequest> = {}): RecordingRequest {
  return {
    sessionId,
    target: parseMeetingUrl(url, true),
    login: null,
    roomPassword: null,
    resolution: '720p',
    maxDurationSec: 15,
    recordFile: true,
    stream: null,
    fileRecordingMetadata: {},
    transcription: null,
    ...extra,
  };
}

export function newSession(config: ScribaConfig, req: RecordingRequest, logger: Logger = memoryLogger().logger) {
  return createRecorder(config, logger).createSession(req);
}
