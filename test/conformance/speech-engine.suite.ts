/**
 * The speech-engine conformance suite: every SpeechEngine implementation (pocketsphinx, Google through a local
 * gRPC server) runs these same tests on the synthetic meeting's known sentences (espeak-ng voices, read from
 * .cache/fixtures/voice-N.wav). Implementation-neutral: recognition quality enters only as the WER bound the
 * implementation declares, and whatever an engine finishes in the background (a process exiting, a call
 * closing) is awaited with waitUntil.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusVoice, loadVoiceCorpus } from '../../bench/lib/wer-direct.ts';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../src/transcription/speech-engine.ts';
import { combineWer, wordErrorRate } from '../../src/transcription/wer.ts';
import { waitUntil } from '../helpers/processes.ts';

export interface SpeechEngineUnderTest {
  readonly engine: SpeechEngine;
  /** Engine work still running (processes, open calls); 0 once every stream has ended or been aborted. */
  readonly liveWork: () => number;
  readonly cleanup: () => Promise<void>;
}

/** Builds an engine that can recognize the corpus (a fake service is told its sentences). */
export type SpeechEngineFactory = (corpus: readonly CorpusVoice[]) => Promise<SpeechEngineUnderTest>;

export interface SpeechConformanceOptions {
  /** Corpus WER the engine reliably stays under on voices 1–3 (pocketsphinx is poor on espeak voices). */
  readonly maxWer: number;
}

const RATE = 16_000;
const silence = (sec: number): Buffer => Buffer.alloc(Math.round(sec * RATE) * 2);
const seconds = (pcm: Buffer): number => pcm.length / 2 / RATE;

/** Writes in odd-sized pieces: engines must keep samples whole across writes. */
function writeAll(stream: SpeechStream, pcm: Buffer, piece = 3201): void {
  for (let i = 0; i < pcm.length; i += piece) stream.write(pcm.subarray(i, i + piece));
}

interface Collected {
  readonly results: SpeechResult[];
  readonly error: unknown;
}

function collect(stream: SpeechStream): Promise<Collected> {
  return (async () => {
    const results: SpeechResult[] = [];
    try {
      for await (const r of stream.results) results.push(r);
      return { results, error: null };
    } catch (error) {
      return { results, error };
    }
  })();
}

function expectWellFormed(finals: readonly SpeechResult[], audioSec: number): void {
  let previousEnd = 0;
  for (const r of finals) {
    expect(r.text.trim()).not.toBe('');
    expect(r.startSec).toBeGreaterThanOrEqual(previousEnd - 1e-6);
    expect(r.endSec).toBeGreaterThanOrEqual(r.startSec);
    expect(r.endSec).toBeLessThanOrEqual(audioSec + 0.05);
    if (r.confidence !== null) {
      expect(r.confidence).toBeGreaterThanOrEqual(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
    for (const w of r.words ?? []) {
      expect(w.startSec).toBeGreaterThanOrEqual(r.startSec - 1e-6);
      expect(w.endSec).toBeLessThanOrEqual(r.endSec + 1e-6);
    }
    previousEnd = r.endSec;
  }
}

export function describeSpeechEngineConformance(name: string, factory: SpeechEngineFactory, options: SpeechConformanceOptions): void {
  describe(`SpeechEngine conformance: ${name}`, () => {
    let corpus: CorpusVoice[] = [];
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      corpus = await loadVoiceCorpus();
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function open(): Promise<SpeechEngineUnderTest> {
      const u = await factory(corpus);
      cleanups.push(async () => {
        await u.engine.close();
        await u.cleanup();
      });
      return u;
    }

    function start(engine: SpeechEngine, label: string, signal = new AbortController().signal): SpeechStream {
      return engine.start({ language: 'en-US', sampleRateHertz: RATE, signal, label });
    }

    it('recognizes known sentences on concurrent streams, within the speech and monotonic', async () => {
      const { engine, liveWork } = await open();
      const voices = corpus.slice(0, 3);
      const runs = voices.map((v) => {
        const stream = start(engine, `voice-${v.index}`);
        const audio = Buffer.concat([silence(0.5), v.pcm, silence(1)]);
        return { v, stream, audio, collected: collect(stream) };
      });
      for (const run of runs) writeAll(run.stream, run.audio);
      await Promise.all(runs.map((r) => r.stream.end()));
      const wers = [];
      for (const run of runs) {
        const { results, error } = await run.collected;
        expect(error).toBeNull();
        const finals = results.filter((r) => r.final);
        expect(finals.length).toBeGreaterThanOrEqual(1);
        expectWellFormed(finals, seconds(run.audio));
        // Every phrase lies within the speech (0.5 s lead, then the voice), give or take 0.3 s.
        for (const f of finals) {
          expect(f.startSec).toBeGreaterThanOrEqual(0.5 - 0.3);
          expect(f.endSec).toBeLessThanOrEqual(0.5 + seconds(run.v.pcm) + 0.3);
        }
        wers.push(wordErrorRate(run.v.sentences.map((s) => s.text).join(' '), finals.map((f) => f.text).join(' ')));
      }
      expect(combineWer(wers).wer).toBeLessThanOrEqual(options.maxWer);
      expect(await waitUntil(() => liveWork() === 0, 5_000)).toBe(true);
    });

    it('keeps a long stream monotonic across many phrases', async () => {
      const { engine } = await open();
      const audio = Buffer.concat(corpus.flatMap((v) => [v.pcm, silence(1)]));
      const stream = start(engine, 'all-voices');
      const collected = collect(stream);
      writeAll(stream, audio, 8000);
      await stream.end();
      const { results, error } = await collected;
      expect(error).toBeNull();
      const finals = results.filter((r) => r.final);
      expect(finals.length).toBeGreaterThanOrEqual(corpus.length);
      expectWellFormed(finals, seconds(audio));
    });

    it('end() flushes the last phrase, then the results complete', async () => {
      const { engine } = await open();
      const v = corpus[3]!;
      const stream = start(engine, 'flush');
      const collected = collect(stream);
      writeAll(stream, v.pcm); // no trailing silence: the phrase ends with the audio
      await stream.end();
      stream.write(silence(1)); // ignored after end()
      const { results, error } = await collected;
      expect(error).toBeNull();
      const finals = results.filter((r) => r.final);
      expect(finals.length).toBeGreaterThanOrEqual(1);
      // Something was recognized in the last sentence, which only end() could finish.
      expect(finals.at(-1)!.endSec).toBeGreaterThan(v.sentences[1]!.startSec);
      expectWellFormed(finals, seconds(v.pcm));
      await expect(stream.end()).resolves.toBeUndefined(); // idempotent
    });

    it('abort discards the stream and stops the engine', async () => {
      const { engine, liveWork } = await open();
      const controller = new AbortController();
      const stream = start(engine, 'abort', controller.signal);
      const collected = collect(stream);
      writeAll(stream, corpus[4]!.pcm.subarray(0, 64_000));
      expect(await waitUntil(() => liveWork() > 0, 5_000, 20)).toBe(true);
      controller.abort();
      stream.write(silence(0.5)); // ignored, never throws
      const { error } = await collected;
      expect(error).toMatchObject({ code: 'aborted' });
      await expect(stream.end()).rejects.toMatchObject({ code: 'aborted' });
      expect(await waitUntil(() => liveWork() === 0, 5_000)).toBe(true);
    });

    it('gives no finals for silence or no audio at all', async () => {
      const { engine, liveWork } = await open();
      const silent = start(engine, 'silent');
      const empty = start(engine, 'empty');
      const silentResults = collect(silent);
      const emptyResults = collect(empty);
      writeAll(silent, silence(4));
      await Promise.all([silent.end(), empty.end()]);
      expect(await silentResults).toEqual({ results: [], error: null });
      expect(await emptyResults).toEqual({ results: [], error: null });
      expect(await waitUntil(() => liveWork() === 0, 5_000)).toBe(true);
    });

    it('closing the engine aborts its open streams', async () => {
      const u = await open();
      const stream = start(u.engine, 'closed');
      const collected = collect(stream);
      writeAll(stream, corpus[0]!.pcm.subarray(0, 32_000));
      await u.engine.close();
      expect((await collected).error).toMatchObject({ code: 'aborted' });
      expect(await waitUntil(() => u.liveWork() === 0, 5_000)).toBe(true);
      expect(() => start(u.engine, 'after-close')).toThrow();
    });
  });
}
