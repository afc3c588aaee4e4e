/**
 * What the Silero VAD costs per speaker stream: its CPU (this process: the model runs in-process through
 * onnxruntime-node, single-threaded) per second of audio, on the corpora given, plus the utterances it cuts.
 * 1.0 would be one core per real-time stream.
 */
import { loadSileroVad, SILERO_FRAME_SAMPLES } from '../../src/transcription/silero-vad.ts';
import { VadSegmenter } from '../../src/transcription/vad-segmenter.ts';
import type { CorpusVoice } from './wer-direct.ts';

export interface VadCost {
  readonly audioSec: number;
  readonly cpuSec: number;
  /** CPU seconds per audio second: the share of one core a real-time stream takes. */
  readonly cpuPerAudioSec: number;
  readonly loadMs: number;
  readonly utterances: number;
}

export async function measureVadCost(corpus: readonly CorpusVoice[]): Promise<VadCost> {
  const t0 = performance.now();
  const model = await loadSileroVad();
  const loadMs = performance.now() - t0;
  const frameBytes = SILERO_FRAME_SAMPLES * 2;
  let audioBytes = 0;
  let utterances = 0;
  const before = process.cpuUsage();
  for (const v of corpus) {
    const state = model.createState();
    const segmenter = new VadSegmenter();
    for (let at = 0; at + frameBytes <= v.pcm.length; at += frameBytes) {
      utterances += segmenter.push(await state.probability(v.pcm.subarray(at, at + frameBytes))).length;
    }
    utterances += segmenter.flush().length;
    audioBytes += v.pcm.length;
  }
  const used = process.cpuUsage(before);
  await model.close();
  const cpuSec = (used.user + used.system) / 1e6;
  const audioSec = audioBytes / 2 / 16_000;
  const round = (x: number): number => Math.round(x * 10_000) / 10_000;
  return {
    audioSec: round(audioSec),
    cpuSec: round(cpuSec),
    cpuPerAudioSec: round(cpuSec / audioSec),
    loadMs: Math.round(loadMs),
    utterances,
  };
}
