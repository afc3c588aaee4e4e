/**
 * Composition root for recording sessions: the only place that picks real implementations (the capture
 * backend, the speech engines) and wires them into a session's runtime (src/session/real-runtime.ts).
 */
import { randomUUID } from 'node:crypto';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import type { CaptureBackend } from '../src/capture/capture-backend.ts';
import type { ScribaConfig, SpeechEngineName } from '../src/config/config.ts';
import { enabledSpeechEngines } from '../src/config/job-policy.ts';
import type { Logger } from '../src/log/logger.ts';
import { createRealRuntime } from '../src/session/real-runtime.ts';
import { RecordingSession } from '../src/session/recording-session.ts';
import type { RecordingRequest } from '../src/session/session-types.ts';
import { createGoogleSpeechEngine, createPocketsphinxEngine, SpeechEngineError, type SpeechEngine } from '../src/transcription/index.ts';

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

/**
 * A speech engine from config.transcription, one per transcribing session: the deployment's, or one the
 * request chose (parseJobRequest checked it is enabled). Engines other than pocketsphinx load on demand.
 */
export async function createSpeechEngine(
  config: ScribaConfig,
  logger: Logger,
  name: string = config.transcription.engine,
): Promise<SpeechEngine> {
  const t = config.transcription;
  const engine = name as SpeechEngineName;
  if (!enabledSpeechEngines(config).includes(engine))
    throw new SpeechEngineError('invalid_request', `speech engine "${name}" is not enabled on this deployment`);
  const segmenter = {
    threshold: t.vad.threshold,
    minSilenceMs: t.vad.minSilenceMs,
    speechPadMs: t.vad.speechPadMs,
    maxUtteranceSec: t.vad.maxUtteranceSec,
  };
  switch (engine) {
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
    case 'openai': {
      if (t.openai.baseUrl === '')
        throw new SpeechEngineError(
          'invalid_request',
          'the openai speech engine needs transcription.openai.baseUrl (SCRIBA_OPENAI_BASE_URL)',
        );
      const { createOpenAiSpeechEngine } = await import('../src/transcription/openai-engine.ts');
      return await createOpenAiSpeechEngine({
        baseUrl: t.openai.baseUrl,
        apiKey: t.openai.apiKey,
        model: t.openai.model,
        responseFormat: t.openai.responseFormat,
        timeoutMs: t.openai.timeoutSec * 1000,
        concurrency: t.openai.concurrency,
        segmenter,
        logger,
      });
    }
    case 'vosk': {
      if (t.vosk.url === '')
        throw new SpeechEngineError('invalid_request', 'the vosk speech engine needs transcription.vosk.url (SCRIBA_VOSK_URL)');
      const { createVoskSpeechEngine } = await import('../src/transcription/vosk-engine.ts');
      return await createVoskSpeechEngine({ url: t.vosk.url, logger });
    }
    case 'sherpa': {
      const { createSherpaSpeechEngine } = await import('../src/transcription/sherpa-engine.ts');
      return await createSherpaSpeechEngine({
        modelDir: t.sherpa.modelDir,
        modelType: t.sherpa.modelType,
        numThreads: t.sherpa.numThreads,
        segmenter,
        logger,
      });
    }
    default: {
      const unreachable: never = engine;
      throw new Error(`unknown speech engine ${String(unreachable)}`);
    }
  }
}

export interface Recorder {
  createSession(request: RecordingRequest): RecordingSession;
}

export function createRecorder(config: ScribaConfig, logger: Logger): Recorder {
  const speechEngine = (engine?: string) => createSpeechEngine(config, logger, engine);
  const runtime = createRealRuntime({ config, backend: createBackend(config), speechEngine });
  return {
    createSession: (request) => new RecordingSession(request, { config, runtime, logger }),
  };
}

export function newSessionId(): string {
  return randomUUID();
}
