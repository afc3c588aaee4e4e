/**
 * Composition root for recording sessions: the only place that picks real implementations (the capture
 * backend, the speech engines) and wires them into a session's runtime (src/session/real-runtime.ts).
 */
import { randomUUID } from 'node:crypto';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import type { CaptureBackend } from '../src/capture/capture-backend.ts';
import { RESOLUTIONS, type ScribaConfig, type SpeechEngineName } from '../src/config/config.ts';
import { enabledSpeechEngines } from '../src/config/job-policy.ts';
import type { Logger } from '../src/log/logger.ts';
import { createRealRuntime } from '../src/session/real-runtime.ts';
import { RecordingSession } from '../src/session/recording-session.ts';
import type { RecordingRequest } from '../src/session/session-types.ts';
import type { WarmPoolStats } from '../src/session/warm-pool.ts';
import { startWarmEnvPool, withWarmEnvs } from '../src/session/warm-runtime.ts';
import type { SpeechEngine } from '../src/transcription/index.ts';
// Only ScribaError underneath, already loaded: the engines themselves load on demand.
import { SpeechEngineError } from '../src/transcription/speech-errors.ts';

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
 * request chose (parseJobRequest checked it is enabled). Every engine loads on demand: a session that does not
 * transcribe (and `scriba record` starting up) never pays for their modules.
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
    case 'pocketsphinx': {
      const { createPocketsphinxEngine } = await import('../src/transcription/pocketsphinx-engine.ts');
      return createPocketsphinxEngine({ binaryPath: t.pocketsphinx.binaryPath, logger });
    }
    case 'google': {
      const { createGoogleSpeechEngine } = await import('../src/transcription/google-engine.ts');
      return await createGoogleSpeechEngine({
        ...(t.google.model ? { model: t.google.model } : {}),
        enableAutomaticPunctuation: t.google.enableAutomaticPunctuation,
        streamLimitSec: t.google.streamLimitSec,
        ...(t.google.keyFilename ? { clientOptions: { keyFilename: t.google.keyFilename } } : {}),
        logger,
      });
    }
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
        format: t.openai.format,
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
  /** The warm pool's counts; null without a pool. */
  warmStats(): WarmPoolStats | null;
  /** Discards the warm environments (sessions stop on their own). Idempotent. */
  close(): Promise<void>;
}

export interface RecorderOptions {
  /** Capture environments to keep started ahead (worker.warmSessions; 0: none, every session starts its own). */
  readonly warmSessions?: number;
}

export function createRecorder(config: ScribaConfig, logger: Logger, options: RecorderOptions = {}): Recorder {
  const speechEngine = (engine?: string) => createSpeechEngine(config, logger, engine);
  const cold = createRealRuntime({ config, backend: createBackend(config), speechEngine });
  const size = options.warmSessions ?? 0;
  const { width, height } = RESOLUTIONS[config.capture.resolution];
  const spec = { width, height, fps: config.capture.fps, audioOffsetMs: config.capture.audioOffsetMs };
  const pool = size > 0 ? startWarmEnvPool(cold, { spec, size, log: logger }) : null;
  const runtime = pool ? withWarmEnvs(cold, pool, logger) : cold;
  return {
    createSession: (request) => new RecordingSession(request, { config, runtime, logger }),
    warmStats: () => pool?.stats() ?? null,
    close: () => pool?.close() ?? Promise.resolve(),
  };
}

export function newSessionId(): string {
  return randomUUID();
}
