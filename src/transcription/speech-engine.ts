/**
 * Speech-to-text: one interface, implemented by the embedded offline engine (pocketsphinx, the default), Google
 * Cloud Speech-to-Text streaming, an OpenAI-compatible transcription endpoint (Whisper servers), Vosk server
 * and sherpa-onnx in process. One conformance suite (test/conformance/speech-engine.suite.ts) runs against
 * every implementation it can run here.
 *
 * A stream is one speaker's audio: 16 kHz mono LINEAR16 (s16le) PCM, written in any chunk size, at any pace.
 * Results carry times on the stream's own audio timeline: seconds of audio written since start(), continuous
 * across whatever the engine does inside (process restarts, Google's stream restarts). The caller maps that
 * timeline onto the recording's clock (it knows where the stream's first sample sits).
 */

/** Only 16 kHz: the rate every engine here takes, and what the audio tap produces. */
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';

export { SPEECH_SAMPLE_RATE };

export interface SpeechStartOptions {
  /** BCP-47, e.g. 'en-US'. An engine that cannot do it throws SpeechEngineError('unsupported_language'). */
  readonly language: string;
  readonly sampleRateHertz: typeof SPEECH_SAMPLE_RATE;
  /** Aborting discards the stream at once: the engine is killed, `results` and `end()` reject with 'aborted'. */
  readonly signal: AbortSignal;
  /** For logs and error messages only, e.g. the participant id. */
  readonly label?: string;
}

export interface SpeechWord {
  readonly word: string;
  readonly startSec: number;
  readonly endSec: number;
}

export interface SpeechResult {
  /**
   * false: an interim hypothesis that later results replace, up to the final one of the same phrase. A final
   * with empty text: the utterance ended with nothing recognized (its interims, if any, are withdrawn).
   */
  readonly final: boolean;
  readonly text: string;
  /** 0–1, or null when the engine gives none. */
  readonly confidence: number | null;
  /** On the stream's audio timeline. Finals never overlap: each starts at or after the previous final's end. */
  readonly startSec: number;
  readonly endSec: number;
  readonly words?: readonly SpeechWord[];
}

export interface SpeechStream {
  /**
   * Queues LINEAR16 mono PCM (whole samples; an odd trailing byte is kept for the next write). Never blocks
   * and never throws: after end(), abort or a failure it is ignored (the failure surfaces in results/end()).
   */
  write(pcm: Buffer): void;
  /**
   * No more audio: the engine finishes the last phrase; resolves once its last result has been delivered to
   * `results` (which then completes). Rejects with the stream's failure. Idempotent.
   */
  end(): Promise<void>;
  /**
   * Every result in order; completes after end() has flushed, throws the stream's failure (a
   * SpeechEngineError, or ScribaError 'aborted'). Single consumer; results queue until read.
   */
  readonly results: AsyncIterable<SpeechResult>;
}

export interface SpeechEngine {
  /** 'pocketsphinx' | 'google' | 'openai' | 'vosk' | 'sherpa': for logs and metadata. */
  readonly name: string;
  /** Starts one stream. Throws SpeechEngineError at once for options the engine cannot honour. */
  start(options: SpeechStartOptions): SpeechStream;
  /** Releases what streams share (Google's gRPC channel). Streams still open are aborted. Idempotent. */
  close(): Promise<void>;
}
