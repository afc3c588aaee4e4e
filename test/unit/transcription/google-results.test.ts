import { describe, expect, it } from 'vitest';
import { classifyGoogleFailure, grpcCodeOf } from '../../../src/transcription/google-errors.ts';
import { durationToSeconds, parseStreamingResponse } from '../../../src/transcription/google-results.ts';
import { googleStreamingConfig } from '../../../src/transcription/google-engine.ts';

describe('parseStreamingResponse', () => {
  it('reads a final with words (google-gax decodes int64 seconds as strings)', () => {
    const parsed = parseStreamingResponse({
      results: [
        {
          isFinal: true,
          resultEndTime: { seconds: '12', nanos: 340_000_000 },
          alternatives: [
            {
              transcript: ' The weather is nice today.',
              confidence: 0.93,
              words: [
                { word: 'The', startTime: { seconds: '10', nanos: 500_000_000 }, endTime: { seconds: '10', nanos: 700_000_000 } },
                { word: 'weather', startTime: { seconds: 10, nanos: 700_000_000 }, endTime: { seconds: '11' } },
              ],
            },
            { transcript: 'the whether is nice today', confidence: 0.5 },
          ],
        },
      ],
    });
    expect(parsed).toEqual({
      error: null,
      results: [
        {
          final: true,
          text: 'The weather is nice today.',
          confidence: 0.93,
          resultEndSec: 12.34,
          words: [
            { word: 'The', startSec: 10.5, endSec: 10.7 },
            { word: 'weather', startSec: 10.7, endSec: 11 },
          ],
        },
      ],
    });
  });

  it('keeps interim results with text, confidence 0 as null, skips empty interims', () => {
    const parsed = parseStreamingResponse({
      results: [
        { isFinal: false, resultEndTime: { seconds: '1', nanos: 0 }, alternatives: [{ transcript: 'the wea', confidence: 0 }] },
        { isFinal: false, resultEndTime: { seconds: '1' }, alternatives: [{ transcript: '' }] },
        { isFinal: true, resultEndTime: { seconds: '3' }, alternatives: [] },
      ],
    });
    expect(parsed.results).toEqual([
      { final: false, text: 'the wea', confidence: null, resultEndSec: 1, words: [] },
      { final: true, text: '', confidence: null, resultEndSec: 3, words: [] },
    ]);
  });

  it('reports a status carried in the response', () => {
    expect(
      parseStreamingResponse({ error: { code: 11, message: 'Exceeded maximum allowed stream duration of 305 seconds.' } }).error,
    ).toEqual({
      code: 11,
      message: 'Exceeded maximum allowed stream duration of 305 seconds.',
    });
    expect(parseStreamingResponse({ error: { code: 0, message: '' } }).error).toBeNull();
  });

  it('converts durations of every shape', () => {
    expect(durationToSeconds(null)).toBe(0);
    expect(durationToSeconds({ nanos: 250_000_000 })).toBe(0.25);
    expect(durationToSeconds({ seconds: { toString: () => '305' } })).toBe(305);
  });
});

describe('classifyGoogleFailure', () => {
  const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

  it('restarts on OUT_OF_RANGE and retries transient statuses', () => {
    expect(classifyGoogleFailure(grpcError(11, 'Exceeded maximum allowed stream duration of 305 seconds.'), 'p1')).toEqual({
      kind: 'restart',
      status: 'OUT_OF_RANGE',
      message: 'Exceeded maximum allowed stream duration of 305 seconds.',
    });
    for (const code of [1, 2, 4, 10, 13, 14]) expect(classifyGoogleFailure(grpcError(code, 'x'), 'p1').kind).toBe('retry');
    expect(classifyGoogleFailure(new Error('socket hang up'), 'p1')).toMatchObject({
      kind: 'retry',
      status: 'UNKNOWN',
      message: 'socket hang up',
    });
  });

  it('fails on credentials and quota with clear, typed errors', () => {
    const auth = classifyGoogleFailure(grpcError(16, 'Request had invalid authentication credentials.'), 'Alice');
    expect(auth).toMatchObject({
      kind: 'fatal',
      error: {
        name: 'SpeechEngineError',
        code: 'internal',
        reason: 'auth',
        scope: 'system',
        retryable: false,
        engineCode: 'UNAUTHENTICATED',
      },
    });
    if (auth.kind === 'fatal')
      expect(auth.error.message).toMatch(/refused the credentials for Alice \(UNAUTHENTICATED: Request had invalid/);
    expect(classifyGoogleFailure(grpcError(7, 'denied'), 'a')).toMatchObject({
      error: { reason: 'auth', engineCode: 'PERMISSION_DENIED' },
    });
    const quota = classifyGoogleFailure(grpcError(8, 'Quota exceeded'), 'a');
    expect(quota).toMatchObject({
      kind: 'fatal',
      error: { reason: 'quota', retryable: true, scope: 'system', engineCode: 'RESOURCE_EXHAUSTED' },
    });
    expect(classifyGoogleFailure(grpcError(3, 'Invalid recognition config'), 'a')).toMatchObject({
      error: { reason: 'invalid_request', retryable: false, scope: 'session' },
    });
  });

  it('finds the gRPC code on anything thrown', () => {
    expect(grpcCodeOf({ code: 16 })).toBe(16);
    expect(grpcCodeOf({ code: 'ECONNRESET' })).toBeNull();
    expect(grpcCodeOf('x')).toBeNull();
  });
});

describe('googleStreamingConfig', () => {
  it('is LINEAR16 at 16 kHz with word times; punctuation on and interims off unless asked', () => {
    expect(googleStreamingConfig({}, 'en-US')).toEqual({
      config: {
        encoding: 'LINEAR16',
        sampleRateHertz: 16_000,
        languageCode: 'en-US',
        enableAutomaticPunctuation: true,
        enableWordTimeOffsets: true,
        maxAlternatives: 1,
      },
      interimResults: false,
    });
    expect(googleStreamingConfig({ model: 'latest_long', enableAutomaticPunctuation: false, interimResults: true }, 'fr-FR')).toEqual({
      config: {
        encoding: 'LINEAR16',
        sampleRateHertz: 16_000,
        languageCode: 'fr-FR',
        model: 'latest_long',
        enableAutomaticPunctuation: false,
        enableWordTimeOffsets: true,
        maxAlternatives: 1,
      },
      interimResults: true,
    });
  });
});
