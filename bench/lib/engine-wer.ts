/**
 * Every speech engine this machine can run, on real read speech (the LibriVox clips) and on the synthetic
 * voices, read directly. pocketsphinx always runs; the others when the environment configures them
 * (SCRIBA_OPENAI_BASE_URL, SCRIBA_VOSK_URL, SCRIBA_SHERPA_MODEL_DIR, Google's credentials), so an operator
 * can measure their own server with the same bench.
 */
import { loadConfig, type ScribaConfig, type SpeechEngineName } from '../../src/config/config.ts';
import type { Logger } from '../../src/log/logger.ts';
import { createSpeechEngine } from '../../workers/recorder.ts';
import { type CorpusVoice, measureDirectWer } from './wer-direct.ts';

export function runnableEngines(config: ScribaConfig, env: NodeJS.ProcessEnv = process.env): SpeechEngineName[] {
  const t = config.transcription;
  const out: SpeechEngineName[] = ['pocketsphinx'];
  if (t.google.keyFilename !== '' || env['GOOGLE_APPLICATION_CREDENTIALS']) out.push('google');
  if (t.openai.baseUrl !== '') out.push('openai');
  if (t.vosk.url !== '') out.push('vosk');
  if (t.sherpa.modelDir !== '') out.push('sherpa');
  return out;
}

export interface EngineWer {
  readonly engine: string;
  readonly corpus: string;
  readonly wer: number;
  readonly referenceWords: number;
  readonly errors: number;
  /** Child-process CPU per audio second (pocketsphinx); ~0 for remote engines, in-process work not counted. */
  readonly cpuPerAudioSec: number;
  readonly wallSec: number;
  readonly clips: ReadonlyArray<{ readonly voice: string; readonly wer: number; readonly hypothesis: string }>;
}

export async function measureEngines(
  corpora: Readonly<Record<string, readonly CorpusVoice[]>>,
  logger: Logger,
): Promise<{ engines: SpeechEngineName[]; results: EngineWer[]; failures: Record<string, string> }> {
  const base = loadConfig({ env: process.env });
  const engines = runnableEngines(base);
  const config: ScribaConfig = { ...base, transcription: { ...base.transcription, enabledEngines: engines } };
  const results: EngineWer[] = [];
  const failures: Record<string, string> = {};
  for (const name of engines) {
    try {
      for (const [corpusName, corpus] of Object.entries(corpora)) {
        const engine = await createSpeechEngine(config, logger, name);
        try {
          const r = await measureDirectWer(engine, corpus);
          results.push({
            engine: name,
            corpus: corpusName,
            wer: r.wer,
            referenceWords: r.totals.referenceWords,
            errors: r.totals.errors,
            cpuPerAudioSec: r.cpuPerAudioSec,
            wallSec: r.wallSec,
            clips: r.voices.map((v) => ({ voice: v.voice, wer: Math.round(v.wer.wer * 1000) / 1000, hypothesis: v.hypothesis })),
          });
        } finally {
          await engine.close();
        }
      }
    } catch (err) {
      failures[name] = (err as Error).message;
    }
  }
  return { engines, results, failures };
}
