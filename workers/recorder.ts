/**
 * Composition root for recording sessions: the only place that picks real implementations (the capture
 * backend today; storage, queue and webhooks as they arrive) and wires them into a session.
 */
import { randomUUID } from 'node:crypto';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import type { CaptureBackend } from '../src/capture/capture-backend.ts';
import type { ScribaConfig } from '../src/config/config.ts';
import type { Logger } from '../src/log/logger.ts';
import { RecordingSession } from '../src/session/recording-session.ts';
import type { RecordingRequest } from '../src/session/session-types.ts';
import { createGoogleSpeechEngine, createPocketsphinxEngine, type SpeechEngine } from '../src/transcription/index.ts';

export function createBackend(config: ScribaConfig): CaptureBackend {
  switch (config.capture.backend) {
    case 'x11-pulse':
      return createX11PulseBackend();
    default: {
      const unreachable: never = config.capture.backend;
      throw new Error(`unknown capture backend ${String(unreachable)}`);
    }
  }
}

/** The configured speech engine (config.transcription); one per transcribing session. */
export async function createSpeechEngine(config: ScribaConfig, logger: Logger): Promise<SpeechEngine> {
  const t = config.transcription;
  switch (t.engine) {
    case 'pocketsphinx':
      return createPocketsphinxEngine({ binaryPath: t.pocketsphinx.binaryPath, logger });
    case 'google':
      return await createGoogleSpeechEngine({
        ...(t.google.model ? { model: t.google.model } : {}),
        enableAutomaticPunctuation: t.google.enableAutomaticPunctuation,
        streamLimitSec: t.google.streamLimitSec,
        ...(t.google.keyFilename ? { clientOptions: { keyFilename: t.google.keyFilename } } : {}),
        logger,
      });
    default: {
      const unreachable: never = t.engine;
      throw new Error(`unknown speech engine ${String(unreachable)}`);
    }
  }
}

export interface Recorder {
  createSession(request: RecordingRequest): RecordingSession;
}

export function createRecorder(config: ScribaConfig, logger: Logger): Recorder {
  const backend = createBackend(config);
  return {
    createSession: (request) => new RecordingSession(request, { config, backend, logger, speechEngine: () => createSpeechEngine(config, logger) }),
  };
}

export function newSessionId(): string {
  return randomUUID();
}
