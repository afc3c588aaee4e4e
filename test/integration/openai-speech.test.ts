/**
 * The `openai` engine (Silero VAD utterances → OpenAI-compatible /v1/audio/transcriptions) against a local
 * HTTP server that implements that endpoint's request and response format (test/helpers/
 * fake-openai-transcription.ts) and recognizes known sentences from the exact samples it receives.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusVoice, loadVoiceCorpus } from '../../bench/lib/wer-direct.ts';
import { encodeFlac } from '../../src/transcription/flac-encoder.ts';
import { createOpenAiSpeechEngine, type OpenAiSpeechOptions } from '../../src/transcription/openai-engine.ts';
import { loadSileroVad, type SileroVadModel } from '../../src/transcription/silero-vad.ts';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../src/transcription/speech-engine.ts';
import { describeSpeechEngineConformance } from '../conformance/speech-engine.suite.ts';
import { type FakeOpenAiOptions, startFakeOpenAi, voicedPart } from '../helpers/fake-openai-transcription.ts';

const RATE = 16_000;
const BPS = RATE * 2;
const KEY = 'sk-test-0123456789abcdefSECRET';
const silence = (sec: number): Buffer => Buffer.alloc(Math.round(sec * RATE) * 2);
const phrasesOf = (corpus: readonly CorpusVoice[]) => corpus.flatMap((v) => v.sentences.map((s) => ({ text: s.text, pcm: s.pcm })));

describeSpeechEngineConformance(
  'openai (local OpenAI-compatible server)',
  async (corpus) => {
    const fake = await startFakeOpenAi({ phrases: phrasesOf(corpus), apiKey: KEY });
    const engine = await createOpenAiSpeechEngine({ baseUrl: fake.baseUrl, apiKey: KEY, model: 'whisper-1', retryDelaysMs: [10] });
    return { engine, liveWork: () => engine.openStreams + fake.openRequests(), cleanup: () => fake.close() };
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

describe('openai speech engine', () => {
  let corpus: CorpusVoice[] = [];
  let vad: SileroVadModel;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    corpus = await loadVoiceCorpus();
    vad = await loadSileroVad();
  });
  afterAll(() => vad.close());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(fakeOptions: Partial<FakeOpenAiOptions> = {}, engineOptions: Partial<OpenAiSpeechOptions> = {}) {
    const fake = await startFakeOpenAi({ phrases: phrasesOf(corpus), apiKey: KEY, ...fakeOptions });
    const engine = await createOpenAiSpeechEngine({
      baseUrl: fake.baseUrl,
      apiKey: KEY,
      model: 'whisper-1',
      retryDelaysMs: [10, 10, 10],
      vad,
      ...engineOptions,
    });
    cleanups.push(async () => {
      await engine.close();
      await fake.close();
    });
    return { fake, engine };
  }

  function run(
    engine: SpeechEngine,
    audio: Buffer,
    label = 'alice',
  ): { stream: SpeechStream; done: Promise<{ results: SpeechResult[]; error: unknown }> } {
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label });
    const done = drain(stream);
    for (let i = 0; i < audio.length; i += 3_200) stream.write(audio.subarray(i, i + 3_200));
    void stream.end().catch(() => undefined);
    return { stream, done };
  }

  it('sends each utterance as OpenAI specifies and places every sentence where it is said', async () => {
    const { fake, engine } = await setUp();
    const parts: Buffer[] = [];
    const sentences: Array<{ text: string; startSec: number; endSec: number }> = [];
    let at = 0;
    for (const v of corpus.slice(0, 3)) {
      for (const s of v.sentences) {
        const voiced = voicedPart(s.pcm);
        const start = at + v.pcm.indexOf(voiced);
        sentences.push({ text: s.text, startSec: start / BPS, endSec: (start + voiced.length) / BPS });
      }
      parts.push(v.pcm, silence(1));
      at += v.pcm.length + BPS;
    }
    const { results, error } = await run(engine, Buffer.concat(parts)).done;
    expect(error).toBeNull();
    expect(results.map((r) => r.text)).toEqual(sentences.map((s) => s.text));
    results.forEach((r, i) => {
      expect(r.final).toBe(true);
      expect(r.startSec).toBeCloseTo(sentences[i]!.startSec, 3);
      expect(r.endSec).toBeCloseTo(sentences[i]!.endSec, 3);
      expect(r.confidence).toBeCloseTo(Math.exp(-0.105), 5);
      expect(r.words!.map((w) => w.word).join(' ')).toBe(sentences[i]!.text);
    });
    expect(fake.requests.length).toBeGreaterThanOrEqual(3);
    for (const req of fake.requests) {
      expect(req.status).toBe(200);
      expect(req.authorization).toBe(`Bearer ${KEY}`);
      expect(req.fields).toEqual({
        model: ['whisper-1'],
        language: ['en'],
        response_format: ['verbose_json'],
        'timestamp_granularities[]': ['segment', 'word'],
        temperature: ['0'],
      });
      expect(req.fileName).toBe('utterance.wav');
      expect(req.fileType).toBe('audio/wav');
      // Utterances: speech with a little padding, capped; never the whole stream.
      expect(req.pcm.length / BPS).toBeLessThan(20.1);
    }
  });

  it('sends FLAC when asked (format flac): the same samples, losslessly, in a smaller upload', async () => {
    const { fake, engine } = await setUp({}, { format: 'flac' });
    const v = corpus[0]!;
    const { results, error } = await run(engine, Buffer.concat([silence(0.5), v.pcm, silence(1)])).done;
    expect(error).toBeNull();
    expect(results.map((r) => r.text).join(' ')).toBe(v.sentences.map((s) => s.text).join(' '));
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const req of fake.requests) {
      expect(req.status).toBe(200);
      expect(req.fileName).toBe('utterance.flac');
      expect(req.fileType).toBe('audio/flac');
    }
  });

  it('the FLAC encoder round-trips exactly; a mislabelled upload is refused', async () => {
    const pcm = corpus[1]!.pcm;
    const flac = await encodeFlac(pcm, { signal: AbortSignal.timeout(10_000) });
    expect(flac.subarray(0, 4).toString('ascii')).toBe('fLaC');
    expect(flac.length).toBeLessThan(pcm.length * 0.8);
    const ac = new AbortController();
    ac.abort();
    await expect(encodeFlac(pcm, { signal: ac.signal, label: 'bob' })).rejects.toMatchObject({ code: 'aborted' });
    await expect(encodeFlac(pcm, { signal: AbortSignal.timeout(10_000), ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toMatchObject({
      reason: 'engine_failed',
    });

    const fake = await startFakeOpenAi({ phrases: [] });
    cleanups.push(() => fake.close());
    const post = async (name: string, type: string, bytes: Uint8Array<ArrayBuffer>): Promise<number> => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type }), name);
      form.append('model', 'whisper-1');
      return (await fetch(`${fake.baseUrl}/audio/transcriptions`, { method: 'POST', body: form })).status;
    };
    expect(await post('u.flac', 'audio/flac', new Uint8Array(flac))).toBe(200);
    expect(fake.requests.at(-1)!.pcm.equals(pcm)).toBe(true);
    expect(await post('u.flac', 'audio/wav', new Uint8Array(flac))).toBe(400);
    expect(await post('u.wav', 'audio/wav', new Uint8Array(flac))).toBe(400);
    expect(await post('u.ogg', 'audio/ogg', new Uint8Array(flac))).toBe(400);
  });

  it('falls back to text-only answers (response_format json): one phrase per utterance', async () => {
    const { fake, engine } = await setUp({}, { responseFormat: 'json' });
    const v = corpus[0]!;
    const { results, error } = await run(engine, Buffer.concat([silence(0.5), v.pcm, silence(1)])).done;
    expect(error).toBeNull();
    expect(results.map((r) => r.text).join(' ')).toBe(v.sentences.map((s) => s.text).join(' '));
    expect(fake.requests[0]!.fields['timestamp_granularities[]']).toBeUndefined();
    expect(fake.requests[0]!.fields['response_format']).toEqual(['json']);
    for (const r of results) expect(r.words).toBeUndefined();
  });

  it('retries 503 and 429 with back-off, honouring Retry-After, then recognizes', async () => {
    const { fake, engine } = await setUp({ failFirst: [503, 429], retryAfter: '0.2' }, { concurrency: 1 });
    const v = corpus[1]!;
    const started = Date.now();
    const { results, error } = await run(engine, Buffer.concat([v.pcm, silence(0.8)])).done;
    expect(error).toBeNull();
    expect(results.map((r) => r.text)).toEqual(v.sentences.map((s) => s.text));
    expect(fake.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400); // two Retry-After waits of 200 ms
  });

  it('gives up after its retries with a clear, retryable error', async () => {
    const { fake, engine } = await setUp({ failFirst: [500, 502, 503, 504, 500, 500] });
    const { error } = await run(engine, Buffer.concat([corpus[2]!.pcm, silence(0.8)])).done;
    expect(error).toMatchObject({ name: 'SpeechEngineError', reason: 'unavailable', retryable: true });
    expect((error as Error).message).toMatch(/failed 4 times in a row for alice \(HTTP 50\d/);
    expect(fake.requests.length).toBeGreaterThanOrEqual(4);
  });

  it('fails at once on a refused key, and the key appears in no error or log line', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const { fake, engine } = await setUp({ apiKey: 'sk-the-right-one-000000' }, { logger });
    const { error } = await run(engine, Buffer.concat([corpus[0]!.pcm, silence(0.8)])).done;
    expect(error).toMatchObject({ name: 'SpeechEngineError', reason: 'auth', retryable: false, scope: 'system', engineCode: '401' });
    expect((error as Error).message).toMatch(/HTTP 401.*transcription\.openai\.apiKey/);
    expect(fake.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(fake.requests.every((r) => r.status === 401)).toBe(true);
    const everything = `${(error as Error).message} ${JSON.stringify(error)} ${lines.join('')}`;
    for (const piece of [KEY, KEY.slice(0, 8), KEY.slice(-6)]) expect(everything).not.toContain(piece);
  });

  it('fails at once on an unknown model (404), naming what to check', async () => {
    const { engine } = await setUp({}, { model: 'no-such-model' });
    const { error } = await run(engine, Buffer.concat([corpus[0]!.pcm, silence(0.8)])).done;
    expect(error).toMatchObject({ reason: 'invalid_request', retryable: false, engineCode: '404' });
    expect((error as Error).message).toMatch(/does not exist.*baseUrl and model "no-such-model"/);
  });

  it('reports a server that is not there as unavailable', async () => {
    const { fake } = await setUp();
    await fake.close();
    const engine = await createOpenAiSpeechEngine({ baseUrl: fake.baseUrl, model: 'whisper-1', retryDelaysMs: [10], vad });
    cleanups.push(() => engine.close());
    const { error } = await run(engine, Buffer.concat([corpus[0]!.pcm, silence(0.8)])).done;
    expect(error).toMatchObject({ reason: 'unavailable' });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('keeps to its concurrency limit across streams', async () => {
    const { fake, engine } = await setUp({ delayMs: 150 }, { concurrency: 2 });
    const runs = corpus.slice(0, 4).map((v, i) => run(engine, Buffer.concat([v.pcm, silence(0.8)]), `s${i}`));
    const outcomes = await Promise.all(runs.map((r) => r.done));
    for (const o of outcomes) expect(o.error).toBeNull();
    expect(fake.peakConcurrency).toBeLessThanOrEqual(2);
    expect(fake.requests.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses configuration it cannot use', async () => {
    await expect(createOpenAiSpeechEngine({ baseUrl: 'not a url', model: 'm', vad })).rejects.toMatchObject({ reason: 'invalid_request' });
    await expect(createOpenAiSpeechEngine({ baseUrl: 'http://u:p@127.0.0.1:1/v1', model: 'm', vad })).rejects.toThrow(/credentials/);
    await expect(createOpenAiSpeechEngine({ baseUrl: 'http://127.0.0.1:1/v1', model: ' ', vad })).rejects.toThrow(/model/);
    const engine = await createOpenAiSpeechEngine({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', vad });
    expect(() => engine.start({ language: '??', sampleRateHertz: RATE, signal: new AbortController().signal })).toThrow(
      expect.objectContaining({ reason: 'unsupported_language' }),
    );
    await engine.close();
  });
});
