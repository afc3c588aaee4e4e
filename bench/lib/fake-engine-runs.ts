/**
 * The openai and vosk engines against the local stand-ins the tests use (test/helpers/fake-openai-transcription.ts,
 * fake-vosk-server.ts): no Whisper or Vosk model can be installed here. Those servers "recognize" a sentence
 * when its exact samples arrive, so their WER measures the engine's plumbing (VAD cuts, uploads, WebSocket
 * chunking, result times), never recognition. CPU: this process's (VAD, FLAC pipes, and the fake server's own
 * matching) and its children's (ffmpeg for FLAC, and the fake's FLAC decoding) per audio second.
 * Also what FLAC encoding alone costs per utterance.
 */
import { encodeFlac } from '../../src/transcription/flac-encoder.ts';
import { createOpenAiSpeechEngine } from '../../src/transcription/openai-engine.ts';
import type { SpeechEngine } from '../../src/transcription/speech-engine.ts';
import { createVoskSpeechEngine } from '../../src/transcription/vosk-engine.ts';
import { startFakeOpenAi } from '../../test/helpers/fake-openai-transcription.ts';
import { startFakeVosk } from '../../test/helpers/fake-vosk-server.ts';
import { childrenCpuSec, type CorpusVoice, measureDirectWer } from './wer-direct.ts';

export interface FakeServerRun {
  readonly engine: string;
  readonly server: string;
  readonly corpus: string;
  readonly wer: number;
  readonly referenceWords: number;
  readonly errors: number;
  /** This process's and its children's CPU seconds per audio second. */
  readonly cpuPerAudioSec: number;
  readonly wallSec: number;
}

const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;
const phrasesOf = (corpus: readonly CorpusVoice[]) => corpus.flatMap((v) => v.sentences.map((s) => ({ text: s.text, pcm: s.pcm })));

async function measure(name: string, server: string, corpusName: string, corpus: readonly CorpusVoice[], engine: SpeechEngine) {
  const own = process.cpuUsage();
  const children = childrenCpuSec();
  try {
    const r = await measureDirectWer(engine, corpus, { signal: AbortSignal.timeout(300_000) });
    const used = process.cpuUsage(own);
    const cpuSec = (used.user + used.system) / 1e6 + (childrenCpuSec() - children);
    return {
      engine: name,
      server,
      corpus: corpusName,
      wer: r.wer,
      referenceWords: r.totals.referenceWords,
      errors: r.totals.errors,
      cpuPerAudioSec: round(cpuSec / r.audioSec),
      wallSec: r.wallSec,
    };
  } finally {
    await engine.close();
  }
}

export async function measureFakeServerEngines(corpora: Readonly<Record<string, readonly CorpusVoice[]>>): Promise<FakeServerRun[]> {
  const out: FakeServerRun[] = [];
  for (const [corpusName, corpus] of Object.entries(corpora)) {
    const phrases = phrasesOf(corpus);
    for (const format of ['wav', 'flac'] as const) {
      const fake = await startFakeOpenAi({ phrases });
      try {
        const engine = await createOpenAiSpeechEngine({ baseUrl: fake.baseUrl, model: 'whisper-1', format });
        out.push(await measure(`openai (${format})`, 'local fake OpenAI server', corpusName, corpus, engine));
      } finally {
        await fake.close();
      }
    }
    const vosk = await startFakeVosk({ phrases });
    try {
      out.push(await measure('vosk', 'local fake Vosk server', corpusName, corpus, await createVoskSpeechEngine({ url: vosk.url })));
    } finally {
      await vosk.close();
    }
  }
  return out;
}

export interface FlacCost {
  readonly utterances: number;
  readonly audioSec: number;
  /** ffmpeg's CPU (children of this process) per audio second. */
  readonly cpuPerAudioSec: number;
  readonly wallMsPerUtterance: number;
  /** FLAC bytes / WAV bytes. */
  readonly sizeRatio: number;
}

/** One ffmpeg per sentence, as the openai engine runs it per utterance. */
export async function measureFlacCost(corpus: readonly CorpusVoice[]): Promise<FlacCost> {
  const sentences = corpus.flatMap((v) => v.sentences.map((s) => s.pcm));
  const children = childrenCpuSec();
  const t0 = performance.now();
  let pcmBytes = 0;
  let flacBytes = 0;
  for (const pcm of sentences) {
    flacBytes += (await encodeFlac(pcm, { signal: AbortSignal.timeout(30_000) })).length;
    pcmBytes += pcm.length;
  }
  const wallMs = performance.now() - t0;
  const audioSec = pcmBytes / 2 / 16_000;
  return {
    utterances: sentences.length,
    audioSec: round(audioSec, 2),
    cpuPerAudioSec: round((childrenCpuSec() - children) / audioSec),
    wallMsPerUtterance: Math.round(wallMs / sentences.length),
    sizeRatio: round(flacBytes / (pcmBytes + 44 * sentences.length), 3),
  };
}
