/**
 * The Google adapter through the real @google-cloud/speech client, against a local gRPC server that implements
 * google.cloud.speech.v1.Speech/StreamingRecognize from the library's own protos (test/helpers/
 * fake-google-speech.ts). The server's stream limit is shortened to a few seconds to force restarts, and it
 * records every byte each call took, so the checks are exact: no audio lost, only the tail after the last final
 * sent again, no final twice, every phrase at its true place on the stream's timeline.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusVoice, loadVoiceCorpus } from '../../bench/lib/wer-direct.ts';
import { createGoogleSpeechEngine, type GoogleSpeechOptions } from '../../src/transcription/google-engine.ts';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../src/transcription/speech-engine.ts';
import { describeSpeechEngineConformance } from '../conformance/speech-engine.suite.ts';
import { type FakeGoogleSpeech, type FakeGoogleSpeechOptions, startFakeGoogleSpeech } from '../helpers/fake-google-speech.ts';

const RATE = 16_000;
const BPS = RATE * 2;
const silence = (sec: number): Buffer => Buffer.alloc(Math.round(sec * RATE) * 2);
const phrasesOf = (corpus: readonly CorpusVoice[]) => corpus.flatMap((v) => v.sentences.map((s) => ({ text: s.text, pcm: s.pcm })));

async function googleAgainst(fake: FakeGoogleSpeech, options: GoogleSpeechOptions = {}): Promise<SpeechEngine> {
  return createGoogleSpeechEngine({
    clientOptions: { apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() },
    retryDelaysMs: [20, 20, 20],
    ...options,
  });
}

describeSpeechEngineConformance(
  'google (local gRPC server)',
  async (corpus) => {
    const fake = await startFakeGoogleSpeech({ phrases: phrasesOf(corpus) });
    const engine = await googleAgainst(fake, { model: 'latest_long' });
    return { engine, liveWork: () => fake.openCalls(), cleanup: () => fake.close() };
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

describe('google speech engine', () => {
  let corpus: CorpusVoice[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    corpus = await loadVoiceCorpus();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(fakeOptions: Partial<FakeGoogleSpeechOptions>, engineOptions: GoogleSpeechOptions = {}) {
    const fake = await startFakeGoogleSpeech({ phrases: phrasesOf(corpus), ...fakeOptions });
    const engine = await googleAgainst(fake, engineOptions);
    cleanups.push(async () => {
      await engine.close();
      await fake.close();
    });
    return { fake, engine };
  }

  /** All six voices, 1 s apart, and where each sentence truly sits in that audio. */
  function meetingAudio(): { audio: Buffer; sentences: Array<{ text: string; startSec: number; endSec: number }> } {
    const parts: Buffer[] = [];
    const sentences: Array<{ text: string; startSec: number; endSec: number }> = [];
    let at = 0;
    for (const v of corpus) {
      for (const s of v.sentences) {
        const start = at + v.pcm.indexOf(s.pcm);
        sentences.push({ text: s.text, startSec: start / BPS, endSec: (start + s.pcm.length) / BPS });
      }
      parts.push(v.pcm, silence(1));
      at += v.pcm.length + BPS;
    }
    return { audio: Buffer.concat(parts), sentences };
  }

  async function transcribe(engine: SpeechEngine, audio: Buffer, piece: number): Promise<SpeechResult[]> {
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 'meeting' });
    const drained = drain(stream);
    for (let i = 0; i < audio.length; i += piece) stream.write(audio.subarray(i, i + piece));
    await stream.end();
    const { results, error } = await drained;
    expect(error).toBeNull();
    return results;
  }

  /**
   * Each call took a contiguous slice of the audio starting where the previous call's last final ended (or
   * where the previous call started, when it had none); together the calls took all of it.
   */
  function expectNothingLostOnlyTailResent(fake: FakeGoogleSpeech, audio: Buffer): void {
    let start = 0;
    let covered = 0;
    for (const call of fake.calls) {
      expect(call.violations).toEqual([]);
      const took = Buffer.concat(call.audio);
      expect(start).toBeLessThanOrEqual(covered); // no gap before this call's audio
      expect(took.equals(audio.subarray(start, start + took.length))).toBe(true);
      covered = Math.max(covered, start + took.length);
      const lastFinal = call.finals.at(-1);
      if (lastFinal !== undefined) start += Math.round(lastFinal.resultEndSec * RATE) * 2;
    }
    expect(covered).toBe(audio.length);
  }

  function expectEachSentenceOnceInPlace(results: readonly SpeechResult[], sentences: ReturnType<typeof meetingAudio>['sentences']): void {
    const finals = results.filter((r) => r.final);
    expect(finals.map((f) => f.text)).toEqual(sentences.map((s) => s.text));
    finals.forEach((f, i) => {
      expect(f.startSec).toBeCloseTo(sentences[i]!.startSec, 3);
      expect(f.endSec).toBeCloseTo(sentences[i]!.endSec, 3);
      expect(f.confidence).toBeCloseTo(0.9, 5);
      if (i > 0) expect(f.startSec).toBeGreaterThanOrEqual(finals[i - 1]!.endSec);
    });
  }

  it('hands over to a new call before the stream limit: nothing lost, nothing doubled, times continuous', async () => {
    const { fake, engine } = await setUp({ streamLimitSec: 4 }, { streamLimitSec: 3.5, maxResendSec: 3.4 });
    const { audio, sentences } = meetingAudio();
    const results = await transcribe(engine, audio, 8_000);
    expect(fake.calls.length).toBeGreaterThanOrEqual(8);
    expect(fake.calls.map((c) => c.status).filter((s) => s !== 'OK')).toEqual([]); // no call reached the limit
    expectNothingLostOnlyTailResent(fake, audio);
    expectEachSentenceOnceInPlace(results, sentences);
    for (const call of fake.calls) {
      expect(call.config).toMatchObject({
        config: {
          encoding: 'LINEAR16',
          sampleRateHertz: 16_000,
          languageCode: 'en-US',
          enableAutomaticPunctuation: true,
          enableWordTimeOffsets: true,
        },
        interimResults: false,
      });
    }
  });

  it('restarts after the server ends a call at its limit (OUT_OF_RANGE), resending the tail', async () => {
    const { fake, engine } = await setUp({ streamLimitSec: 3.5 }, { maxResendSec: 30 });
    const { audio, sentences } = meetingAudio();
    const results = await transcribe(engine, audio, 3_200);
    expect(fake.calls.filter((c) => c.status === 'OUT_OF_RANGE').length).toBeGreaterThanOrEqual(2);
    expectNothingLostOnlyTailResent(fake, audio);
    expectEachSentenceOnceInPlace(results, sentences);
  });

  it('sends at most 25 KB of audio per request and the config only first', async () => {
    const { fake, engine } = await setUp({}, { model: 'latest_long', enableAutomaticPunctuation: false });
    const v = corpus[0]!;
    const results = await transcribe(engine, Buffer.concat([v.pcm, silence(0.5)]), 100_001);
    expect(results.map((r) => r.text)).toEqual(v.sentences.map((s) => s.text));
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.largestAudioRequest).toBeLessThanOrEqual(25_000);
    expect(fake.calls[0]!.violations).toEqual([]);
    expect(fake.calls[0]!.config).toMatchObject({ config: { model: 'latest_long', enableAutomaticPunctuation: false } });
  });

  it('passes interim results through when asked, finals unchanged', async () => {
    const { fake, engine } = await setUp({}, { interimResults: true });
    const v = corpus[1]!;
    const results = await transcribe(engine, Buffer.concat([silence(0.3), v.pcm]), 3_200);
    const interims = results.filter((r) => !r.final);
    expect(interims.length).toBeGreaterThanOrEqual(1);
    expect(interims.every((r) => r.text !== '' && r.confidence === null)).toBe(true);
    expect(results.filter((r) => r.final).map((r) => r.text)).toEqual(v.sentences.map((s) => s.text));
    expect(fake.calls[0]!.config).toMatchObject({ interimResults: true });
  });

  it.each([
    [grpc.status.UNAUTHENTICATED, 'auth', false, /refused the credentials.*UNAUTHENTICATED.*GOOGLE_APPLICATION_CREDENTIALS/],
    [grpc.status.PERMISSION_DENIED, 'auth', false, /refused the credentials.*PERMISSION_DENIED/],
    [grpc.status.RESOURCE_EXHAUSTED, 'quota', true, /quota or rate limit exceeded.*RESOURCE_EXHAUSTED.*Not retried/],
  ])('reports gRPC status %i clearly as %s, without retrying', async (code, reason, retryable, message) => {
    const { fake, engine } = await setUp({ failWith: { code, details: 'said the fake' } });
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal, label: 'alice' });
    const drained = drain(stream);
    stream.write(corpus[0]!.pcm);
    const { error } = await drained;
    expect(error).toMatchObject({ name: 'SpeechEngineError', reason, retryable, scope: 'system', engineCode: grpc.status[code] });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/alice/);
    await expect(stream.end()).rejects.toBe(error);
    expect(fake.calls).toHaveLength(1);
  });

  it('retries transient failures, then recognizes everything', async () => {
    const failCalls = new Map([
      [0, { code: grpc.status.UNAVAILABLE, details: 'try again' }],
      [1, { code: grpc.status.INTERNAL, details: 'oops' }],
    ]);
    const { fake, engine } = await setUp({ failCalls });
    const v = corpus[2]!;
    const results = await transcribe(engine, Buffer.concat([v.pcm, silence(0.5)]), 3_200);
    expect(results.map((r) => r.text)).toEqual(v.sentences.map((s) => s.text));
    expect(fake.calls.map((c) => c.status)).toEqual(['UNAVAILABLE', 'INTERNAL', 'OK']);
  });

  it('gives up after its retries with an "unavailable" error', async () => {
    const { fake, engine } = await setUp({ failWith: { code: grpc.status.UNAVAILABLE, details: 'down' } });
    const stream = engine.start({ language: 'en-US', sampleRateHertz: RATE, signal: new AbortController().signal });
    const drained = drain(stream);
    stream.write(corpus[0]!.pcm);
    const { error } = await drained;
    expect(error).toMatchObject({ reason: 'unavailable', retryable: true, engineCode: 'UNAVAILABLE' });
    expect(fake.calls).toHaveLength(4); // the first try and three retries
  });
});
