/**
 * sherpa-onnx (k2-fsa; the npm package sherpa-onnx-node, whose linux-x64/arm64 builds ship onnxruntime inside
 * the package) in process, with a model directory the operator provides: nothing is downloaded. Two modes:
 *
 * - streaming models (zipformer transducer, paraformer): one online stream per speaker; audio is decoded as it
 *   comes, the partial hypothesis is an interim result, sherpa's endpoint detector closes each final;
 * - offline models (whisper, moonshine, sense_voice): the Silero VAD cuts utterances (utterance-stream.ts),
 *   each is decoded off the event loop (decodeAsync), one at a time per engine.
 *
 * Without a usable model directory, creating the engine fails at once with the files that are missing and
 * where to get them; a corrupt model is caught by loading it in a child process first (sherpa-probe.ts). The runtime loads on first use (dynamic import), so it stays optional.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { onAbort } from '../lib/abort.ts';
import { SampleAligner } from './pcm.ts';
import { ResultChannel } from './result-channel.ts';
import { probeSherpaRecognizer } from './sherpa-probe.ts';
import {
  SHERPA_MODELS_URL,
  SHERPA_REQUIRED_FILES,
  type SherpaModelFiles,
  type SherpaModelType,
  resolveSherpaModel,
  STREAMING_SHERPA_TYPES,
} from './sherpa-model.ts';
import { loadSileroVad, type SileroVadModel } from './silero-vad.ts';
import { SPEECH_SAMPLE_RATE, type SpeechEngine, type SpeechResult, type SpeechStartOptions, type SpeechStream } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';
import { ConcurrencyLimit, UtteranceStream } from './utterance-stream.ts';
import type { VadSegmenterOptions } from './vad-segmenter.ts';

export interface SherpaSpeechOptions {
  readonly modelDir: string;
  readonly modelType?: SherpaModelType | 'auto';
  /** Threads per recognizer. Default 1. */
  readonly numThreads?: number;
  /** For VAD-cut (offline) models. */
  readonly segmenter?: VadSegmenterOptions;
  readonly vad?: SileroVadModel;
  readonly logger?: Logger;
}

export type SherpaSpeechEngine = SpeechEngine & { readonly openStreams: number; readonly modelType: SherpaModelType };

/** The model's files, or a SpeechEngineError naming what is missing and where models are. */
export function sherpaModelFiles(modelDir: string, modelType: SherpaModelType | 'auto'): SherpaModelFiles {
  if (modelDir.trim() === '') {
    throw new SpeechEngineError(
      'invalid_request',
      `the sherpa speech engine needs transcription.sherpa.modelDir (SCRIBA_SHERPA_MODEL_DIR): a directory with a sherpa-onnx ASR model, e.g. a streaming zipformer (${SHERPA_REQUIRED_FILES.transducer.join(', ')}) from ${SHERPA_MODELS_URL}`,
    );
  }
  let files: string[];
  try {
    files = readdirSync(modelDir);
  } catch (err) {
    throw new SpeechEngineError(
      'invalid_request',
      `cannot read the sherpa model directory ${modelDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; models: ${SHERPA_MODELS_URL}`,
      { cause: err },
    );
  }
  const resolved = resolveSherpaModel(files, modelType);
  if (!resolved.ok) {
    const kind = resolved.type === 'auto' ? 'no known model layout' : `a ${resolved.type} model needs`;
    throw new SpeechEngineError(
      'invalid_request',
      `sherpa model directory ${modelDir}: ${kind}: missing ${resolved.missing.join(', ')}; models: ${SHERPA_MODELS_URL}`,
    );
  }
  return resolved.files;
}

// sherpa-onnx-node is CommonJS without types: the few calls used here, typed loosely.
interface SherpaModule {
  OnlineRecognizer: new (config: unknown) => OnlineRecognizer;
  OfflineRecognizer: { createAsync(config: unknown): Promise<OfflineRecognizer> };
}
interface OnlineStreamHandle {
  acceptWaveform(w: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}
interface OnlineRecognizer {
  createStream(): OnlineStreamHandle;
  isReady(s: OnlineStreamHandle): boolean;
  decode(s: OnlineStreamHandle): void;
  isEndpoint(s: OnlineStreamHandle): boolean;
  reset(s: OnlineStreamHandle): void;
  getResult(s: OnlineStreamHandle): { text: string; tokens?: string[]; timestamps?: number[]; start_time?: number };
}
interface OfflineRecognizer {
  createStream(): { acceptWaveform(w: { samples: Float32Array; sampleRate: number }): void };
  decodeAsync(s: unknown): Promise<{ text: string; tokens?: string[]; timestamps?: number[] }>;
}

let sherpaLoading: Promise<SherpaModule> | null = null;

function loadSherpa(): Promise<SherpaModule> {
  sherpaLoading ??= (async () => {
    try {
      // CommonJS with a native addon: required, not imported, so its own relative lookups work.
      return createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
    } catch (err) {
      sherpaLoading = null;
      throw new SpeechEngineError(
        'engine_failed',
        `cannot load sherpa-onnx-node (the sherpa engine's runtime; prebuilt for linux x64/arm64 glibc, macOS, Windows): ${(err as Error).message}`,
        { cause: err },
      );
    }
  })();
  return sherpaLoading;
}

const toFloat = (pcm: Buffer): Float32Array => {
  const out = new Float32Array(pcm.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 32768;
  return out;
};

export async function createSherpaSpeechEngine(options: SherpaSpeechOptions): Promise<SherpaSpeechEngine> {
  const files = sherpaModelFiles(options.modelDir, options.modelType ?? 'auto');
  const at = (f: string): string => join(options.modelDir, f);
  const modelPaths = Object.entries(files)
    .filter(([k]) => k !== 'type')
    .map(([, f]) => at(f));
  const sherpa = await loadSherpa();
  const numThreads = options.numThreads ?? 1;
  const live = new Set<{ abort(): void }>();
  let closed = false;
  const base = { tokens: at(files.tokens), numThreads, provider: 'cpu', debug: 0 };
  const featConfig = { sampleRate: SPEECH_SAMPLE_RATE, featureDim: 80 };
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new SpeechEngineError(
        'engine_failed',
        `sherpa-onnx could not load the ${files.type} model in ${options.modelDir} (${what}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  const abortAll = (): void => {
    closed = true;
    for (const s of [...live]) s.abort();
  };

  if (STREAMING_SHERPA_TYPES.includes(files.type)) {
    const modelConfig =
      files.type === 'transducer'
        ? { ...base, transducer: { encoder: at(files.encoder), decoder: at(files.decoder), joiner: at(files.joiner) } }
        : files.type === 'paraformer'
          ? { ...base, paraformer: { encoder: at(files.encoder), decoder: at(files.decoder) } }
          : null;
    const config = {
      featConfig,
      modelConfig,
      decodingMethod: 'greedy_search',
      enableEndpoint: 1,
      rule1MinTrailingSilence: 2.4,
      rule2MinTrailingSilence: 0.8,
      rule3MinUtteranceLength: 20,
    };
    await probeSherpaRecognizer('online', config, modelPaths);
    const recognizer = guard('online recognizer', () => new sherpa.OnlineRecognizer(config));
    return {
      name: 'sherpa',
      modelType: files.type,
      get openStreams() {
        return live.size;
      },
      async close() {
        abortAll();
      },
      start(start) {
        if (closed) throw new SpeechEngineError('engine_failed', 'the sherpa speech engine is closed');
        const stream: SherpaOnlineStream = new SherpaOnlineStream(recognizer, start, () => live.delete(stream));
        live.add(stream);
        return stream;
      },
    };
  }

  const modelConfig =
    files.type === 'whisper'
      ? { ...base, whisper: { encoder: at(files.encoder), decoder: at(files.decoder), language: '', task: 'transcribe', tailPaddings: -1 } }
      : files.type === 'moonshine'
        ? {
            ...base,
            moonshine: {
              preprocessor: at(files.preprocessor),
              encoder: at(files.encoder),
              uncachedDecoder: at(files.uncachedDecoder),
              cachedDecoder: at(files.cachedDecoder),
            },
          }
        : files.type === 'sense_voice'
          ? { ...base, senseVoice: { model: at(files.model), language: '', useInverseTextNormalization: 1 } }
          : null;
  await probeSherpaRecognizer('offline', { featConfig, modelConfig }, modelPaths);
  let recognizer: OfflineRecognizer;
  try {
    recognizer = await sherpa.OfflineRecognizer.createAsync({ featConfig, modelConfig });
  } catch (err) {
    throw new SpeechEngineError(
      'engine_failed',
      `sherpa-onnx could not load the ${files.type} model in ${options.modelDir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const vad = options.vad ?? (await loadSileroVad());
  const ownsVad = options.vad === undefined;
  // One decoder, numThreads threads: utterances take turns.
  const limit = new ConcurrencyLimit(1);
  return {
    name: 'sherpa',
    modelType: files.type,
    get openStreams() {
      return live.size;
    },
    async close() {
      if (closed) return;
      abortAll();
      if (ownsVad) await vad.close();
    },
    start(start) {
      if (closed) throw new SpeechEngineError('engine_failed', 'the sherpa speech engine is closed');
      const stream: UtteranceStream = new UtteranceStream(start, {
        vad: vad.createState(),
        ...(options.segmenter ? { segmenter: options.segmenter } : {}),
        limit,
        transcribe: async (u) => {
          const s = recognizer.createStream();
          s.acceptWaveform({ samples: toFloat(u.pcm), sampleRate: SPEECH_SAMPLE_RATE });
          const r = await recognizer.decodeAsync(s);
          const text = r.text.trim();
          return text === '' ? [] : [{ final: true, text, confidence: null, startSec: 0, endSec: u.endSec - u.startSec }];
        },
        onGone: () => live.delete(stream),
      });
      live.add(stream);
      return stream;
    },
  };
}

/** A streaming model's stream: decoded synchronously as audio arrives (a streaming zipformer: ~0.1× real time). */
class SherpaOnlineStream implements SpeechStream {
  readonly results = new ResultChannel<SpeechResult>();
  readonly #recognizer: OnlineRecognizer;
  readonly #stream: OnlineStreamHandle;
  readonly #aligner = new SampleAligner();
  readonly #label: string;
  readonly #signal: AbortSignal;
  readonly #onGone: () => void;
  #samples = 0;
  #segmentStartSec = 0;
  #lastPartial = '';
  #lastEndSec = 0;
  #settled: Promise<void> | null = null;
  #stopListening = (): void => undefined;

  constructor(recognizer: OnlineRecognizer, start: SpeechStartOptions, onGone: () => void) {
    this.#recognizer = recognizer;
    this.#stream = recognizer.createStream();
    this.#label = start.label ?? 'stream';
    this.#signal = start.signal;
    this.#onGone = onGone;
    if (start.signal.aborted) queueMicrotask(() => this.abort());
    else this.#stopListening = onAbort(start.signal, () => this.abort());
  }

  write(pcm: Buffer): void {
    if (this.#settled !== null || this.#signal.aborted) return;
    const aligned = this.#aligner.push(pcm);
    if (aligned.length === 0) return;
    try {
      this.#stream.acceptWaveform({ samples: toFloat(aligned), sampleRate: SPEECH_SAMPLE_RATE });
      this.#samples += aligned.length / 2;
      this.#decode(false);
    } catch (err) {
      this.#fail(new SpeechEngineError('engine_failed', `sherpa-onnx failed on ${this.#label}: ${(err as Error).message}`, { cause: err }));
    }
  }

  end(): Promise<void> {
    if (this.#signal.aborted) this.abort();
    if (this.#settled === null) {
      try {
        // Trailing silence lets the model emit its last tokens, then the input ends.
        this.#stream.acceptWaveform({ samples: new Float32Array(Math.round(0.5 * SPEECH_SAMPLE_RATE)), sampleRate: SPEECH_SAMPLE_RATE });
        this.#stream.inputFinished();
        this.#decode(true);
        this.#settled = Promise.resolve();
        this.#cleanup();
        this.results.close();
      } catch (err) {
        this.#fail(
          new SpeechEngineError('engine_failed', `sherpa-onnx failed on ${this.#label}: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
    return this.#settled!;
  }

  abort(): void {
    this.#fail(speechAborted(this.#label));
  }

  #decode(ending: boolean): void {
    const r = this.#recognizer;
    while (r.isReady(this.#stream)) r.decode(this.#stream);
    const audioSec = this.#samples / SPEECH_SAMPLE_RATE;
    const result = r.getResult(this.#stream);
    const text = result.text.trim();
    if (r.isEndpoint(this.#stream) || ending) {
      if (text !== '') {
        const stamps = result.timestamps ?? [];
        const startSec = Math.max(this.#lastEndSec, this.#segmentStartSec + (stamps[0] ?? 0));
        const endSec = Math.min(
          audioSec,
          Math.max(startSec, this.#segmentStartSec + (stamps.at(-1) ?? audioSec - this.#segmentStartSec) + 0.2),
        );
        this.results.push({ final: true, text, confidence: null, startSec, endSec });
        this.#lastEndSec = endSec;
      }
      r.reset(this.#stream);
      this.#segmentStartSec = audioSec;
      this.#lastPartial = '';
      return;
    }
    if (text !== '' && text !== this.#lastPartial) {
      this.#lastPartial = text;
      this.results.push({
        final: false,
        text,
        confidence: null,
        startSec: Math.max(this.#lastEndSec, this.#segmentStartSec),
        endSec: Math.max(this.#lastEndSec, audioSec),
      });
    }
  }

  #fail(err: unknown): void {
    if (this.#settled !== null) return;
    this.#settled = Promise.reject(err);
    this.#settled.catch(() => {});
    this.#cleanup();
    this.results.fail(err);
  }

  #cleanup(): void {
    this.#stopListening();
    this.#onGone();
  }
}
