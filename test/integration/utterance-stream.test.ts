/**
 * Voice-activity segmentation on real audio: the Silero VAD (onnxruntime-node) and VadSegmenter cutting the
 * synthetic meeting's voices into utterances for engines that transcribe whole utterances. The "engine" here
 * records what it is given, so the checks are on the cut itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusVoice, loadVoiceCorpus } from '../../bench/lib/wer-direct.ts';
import { loadSileroVad, type SileroVadModel } from '../../src/transcription/silero-vad.ts';
import type { SpeechResult } from '../../src/transcription/speech-engine.ts';
import { ConcurrencyLimit, type Utterance, UtteranceStream } from '../../src/transcription/utterance-stream.ts';
import type { VadSegmenterOptions } from '../../src/transcription/vad-segmenter.ts';
import { voicedPart } from '../helpers/fake-openai-transcription.ts';

const RATE = 16_000;
const BPS = RATE * 2;
const silence = (sec: number): Buffer => Buffer.alloc(Math.round(sec * RATE) * 2);

describe('utterance segmentation with the Silero VAD', () => {
  let corpus: CorpusVoice[] = [];
  let vad: SileroVadModel;
  beforeAll(async () => {
    corpus = await loadVoiceCorpus();
    vad = await loadSileroVad();
  });
  afterAll(() => vad.close());

  async function cut(audio: Buffer, segmenter: VadSegmenterOptions = {}, transcribe?: (u: Utterance) => Promise<SpeechResult[]>) {
    const utterances: Utterance[] = [];
    const stream = new UtteranceStream(
      { language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 't' },
      {
        vad: vad.createState(),
        segmenter,
        limit: new ConcurrencyLimit(2),
        transcribe: async (u) => {
          utterances.push(u);
          return transcribe
            ? transcribe(u)
            : [{ final: true, text: `u${u.index}`, confidence: null, startSec: 0, endSec: u.endSec - u.startSec }];
        },
        onGone: () => undefined,
      },
    );
    const results: SpeechResult[] = [];
    const drained = (async () => {
      for await (const r of stream.results) results.push(r);
    })();
    for (let i = 0; i < audio.length; i += 3_201) stream.write(audio.subarray(i, i + 3_201));
    const ended = stream.end();
    await Promise.allSettled([ended, drained]);
    return { utterances, results, ended, drained };
  }

  it('cuts one utterance per sentence, each holding its sentence whole, at its place on the timeline', async () => {
    const parts: Buffer[] = [];
    const sentences: Array<{ voiced: Buffer; startSec: number; endSec: number }> = [];
    let at = 0;
    for (const v of corpus) {
      for (const s of v.sentences) {
        const voiced = voicedPart(s.pcm);
        const start = at + v.pcm.indexOf(voiced);
        sentences.push({ voiced, startSec: start / BPS, endSec: (start + voiced.length) / BPS });
      }
      parts.push(v.pcm, silence(1));
      at += v.pcm.length + BPS;
    }
    const audio = Buffer.concat(parts);
    const { utterances, results } = await cut(audio);
    expect(utterances).toHaveLength(sentences.length);
    utterances.forEach((u, i) => {
      const s = sentences[i]!;
      expect(u.pcm.indexOf(s.voiced)).toBeGreaterThanOrEqual(0);
      // The utterance's audio is the stream's audio at its place.
      expect(u.pcm.equals(audio.subarray(Math.round(u.startSec * RATE) * 2, Math.round(u.endSec * RATE) * 2))).toBe(true);
      // Speech plus padding (150 ms) and the detector's reaction (a few 32 ms windows), no more.
      expect(s.startSec - u.startSec).toBeLessThan(0.4);
      expect(u.endSec - s.endSec).toBeLessThan(0.8);
    });
    expect(results.map((r) => r.text)).toEqual(utterances.map((u) => `u${u.index}`));
    for (let i = 1; i < results.length; i++) expect(results[i]!.startSec).toBeGreaterThanOrEqual(results[i - 1]!.endSec);
  });

  it('caps utterances in length on speech without pauses', async () => {
    const audio = Buffer.concat(corpus.map((v) => v.pcm));
    const { utterances } = await cut(audio, { maxUtteranceSec: 3 });
    expect(utterances.length).toBeGreaterThanOrEqual(Math.floor(audio.length / BPS / 3));
    for (const u of utterances) expect(u.endSec - u.startSec).toBeLessThanOrEqual(3 + 0.2);
    for (let i = 1; i < utterances.length; i++) expect(utterances[i]!.startSec).toBeGreaterThanOrEqual(utterances[i - 1]!.endSec);
  });

  it('fails the stream with the engine’s error', async () => {
    const boom = new Error('engine broke');
    const { ended } = await cut(Buffer.concat([corpus[0]!.pcm, silence(1)]), {}, async () => {
      throw boom;
    });
    await expect(ended).rejects.toBe(boom);
  });
});
