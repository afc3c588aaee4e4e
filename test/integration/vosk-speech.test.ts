/**
 * The `vosk` engine against a local WebSocket server that speaks Vosk server's protocol
 * (test/helpers/fake-vosk-server.ts) and recognizes known sentences from the exact samples it receives.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusVoice, loadVoiceCorpus } from '../../bench/lib/wer-direct.ts';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../src/transcription/speech-engine.ts';
import { createVoskSpeechEngine, type VoskSpeechOptions } from '../../src/transcription/vosk-engine.ts';
import { describeSpeechEngineConformance } from '../conformance/speech-engine.suite.ts';
import { voicedPart } from '../helpers/fake-openai-transcription.ts';
import { type FakeVosk, type FakeVoskOptions, startFakeVosk } from '../helpers/fake-vosk-server.ts';

const RATE = 16_000;
const BPS = RATE * 2;
const silence = (sec: number): Buffer => Buffer.alloc(Math.round(sec * RATE) * 2);
const phrasesOf = (corpus: readonly CorpusVoice[]) => corpus.flatMap((v) => v.sentences.map((s) => ({ text: s.text, pcm: s.pcm })));

describeSpeechEngineConformance(
  'vosk (local WebSocket server)',
  async (corpus) => {
    const fake = await startFakeVosk({ phrases: phrasesOf(corpus) });
    const engine = await createVoskSpeechEngine({ url: fake.url });
    return { engine, liveWork: () => engine.openStreams + fake.openConnections(), cleanup: () => fake.close() };
  },
  { maxWer: 0 },
);

async function drain(stream: SpeechStream): Promise<{ results: SpeechResult[]; error: unknown }> {
  const results: SpeechResult[] = [];
  try {
    for await (const r of stream.results) results.push(r);
    return { results, error: null };
  } catch (error) {
    return { results, error };
  }
}

describe('vosk speech engine', () => {
  let corpus: CorpusVoice[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    corpus = await loadVoiceCorpus();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(
    fakeOptions: Partial<FakeVoskOptions> = {},
    engineOptions: Partial<VoskSpeechOptions> = {},
  ): Promise<{ fake: FakeVosk; engine: SpeechEngine }> {
    const fake = await startFakeVosk({ phrases: phrasesOf(corpus), ...fakeOptions });
    const engine = await createVoskSpeechEngine({ url: fake.url, retryDelaysMs: [20, 20, 20], ...engineOptions });
    cleanups.push(async () => {
      await engine.close();
      await fake.close();
    });
    return { fake, engine };
  }

  function meetingAudio(voices: readonly CorpusVoice[]) {
    const parts: Buffer[] = [];
    const sentences: Array<{ text: string; startSec: number; endSec: number }> = [];
    let at = 0;
    for (const v of voices) {
      for (const s of v.sentences) {
        const voiced = voicedPart(s.pcm);
        const start = at + v.pcm.indexOf(voiced);
        sentences.push({ text: s.text, startSec: start / BPS, endSec: (start + voiced.length) / BPS });
      }
      parts.push(v.pcm, silence(1));
      at += v.pcm.length + BPS;
    }
    return { audio: Buffer.concat(parts), sentences };
  }

  async function transcribe(engine: SpeechEngine, audio: Buffer, piece = 3_200): Promise<SpeechResult[]> {
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 'bob' });
    const drained = drain(stream);
    for (let i = 0; i < audio.length; i += piece) stream.write(audio.subarray(i, i + piece));
    await stream.end();
    const { results, error } = await drained;
    expect(error).toBeNull();
    return results;
  }

  it('speaks the protocol: config first, audio in chunks, eof; partials as interims, finals in place', async () => {
    const { fake, engine } = await setUp();
    const { audio, sentences } = meetingAudio(corpus.slice(0, 3));
    const results = await transcribe(engine, audio);
    const finals = results.filter((r) => r.final);
    expect(finals.map((f) => f.text)).toEqual(sentences.map((s) => s.text));
    finals.forEach((f, i) => {
      expect(f.startSec).toBeCloseTo(sentences[i]!.startSec, 2);
      expect(f.endSec).toBeCloseTo(sentences[i]!.endSec, 2);
      expect(f.confidence).toBeCloseTo(0.93, 5);
      expect(f.words!.map((w) => w.word).join(' ')).toBe(sentences[i]!.text);
    });
    const interims = results.filter((r) => !r.final);
    expect(interims.length).toBeGreaterThanOrEqual(3);
    expect(interims.every((r) => r.text !== '' && r.confidence === null)).toBe(true);
    expect(fake.connections).toHaveLength(1);
    const c = fake.connections[0]!;
    expect(c.config).toEqual({ sample_rate: 16_000 });
    expect(c.violations).toEqual([]);
    expect(c.eof).toBe(true);
    expect(Buffer.concat(c.audio).equals(audio)).toBe(true);
    expect(Math.max(...c.audio.map((a) => a.length))).toBeLessThanOrEqual(8_000);
  });

  it('leaves interims out when asked', async () => {
    const { engine } = await setUp({}, { interimResults: false });
    const results = await transcribe(engine, Buffer.concat([corpus[0]!.pcm, silence(0.5)]));
    expect(results.every((r) => r.final)).toBe(true);
    expect(results.map((r) => r.text)).toEqual(corpus[0]!.sentences.map((s) => s.text));
  });

  it('reconnects after a dropped connection, resending only the tail after the last final', async () => {
    // The first connection is dropped part-way into the second voice.
    const { audio, sentences } = meetingAudio(corpus.slice(0, 3));
    const dropAt = corpus[0]!.pcm.length + BPS + Math.floor(corpus[1]!.pcm.length / 2);
    const { fake, engine } = await setUp({ dropAfterBytes: new Map([[0, dropAt]]) });
    const results = await transcribe(engine, audio);
    const finals = results.filter((r) => r.final);
    expect(finals.map((f) => f.text)).toEqual(sentences.map((s) => s.text));
    finals.forEach((f, i) => expect(f.startSec).toBeCloseTo(sentences[i]!.startSec, 2));
    expect(fake.connections).toHaveLength(2);
    // The second connection starts where the first one's last final ended, not at the beginning.
    const second = Buffer.concat(fake.connections[1]!.audio);
    const start = audio.length - second.length;
    expect(audio.subarray(start).equals(second)).toBe(true);
    const finalsBeforeDrop = fake.connections[0]!.results.length;
    expect(finalsBeforeDrop).toBeGreaterThanOrEqual(1);
    // (The reply carrying the last of them may be lost with the connection: then the one before.)
    const ends = sentences.slice(0, finalsBeforeDrop).map((s) => Math.round(s.endSec * 1000));
    expect(ends).toContain(Math.round((start / BPS) * 1000));
  });

  it('fails clearly when the server refuses the upgrade, and when it is not there', async () => {
    const { engine } = await setUp({ refuseWith: 403 });
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 'bob' });
    const drained = drain(stream);
    stream.write(corpus[0]!.pcm);
    const { error } = await drained;
    expect(error).toMatchObject({ name: 'SpeechEngineError', reason: 'invalid_request', engineCode: '403' });
    expect((error as Error).message).toMatch(/refused the WebSocket upgrade for bob: HTTP 403/);

    const gone = await startFakeVosk({ phrases: [] });
    await gone.close();
    const engine2 = await createVoskSpeechEngine({ url: gone.url, retryDelaysMs: [10] });
    cleanups.push(() => engine2.close());
    const s2 = engine2.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 'carol' });
    const d2 = drain(s2);
    s2.write(corpus[0]!.pcm);
    const r2 = await d2;
    expect(r2.error).toMatchObject({ reason: 'unavailable' });
    expect((r2.error as Error).message).toMatch(/failed 2 times in a row for carol \(ECONNREFUSED\)/);
  });

  it('refuses a URL that is not ws(s)', async () => {
    await expect(createVoskSpeechEngine({ url: 'http://127.0.0.1:2700' })).rejects.toMatchObject({ reason: 'invalid_request' });
    await expect(createVoskSpeechEngine({ url: 'nope' })).rejects.toThrow(/not a URL/);
  });
});
