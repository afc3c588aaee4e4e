import { describe, expect, it } from 'vitest';
import {
  classifyOpenAiStatus,
  openAiLanguage,
  parseTranscription,
  retryAfterMs,
  serverErrorText,
} from '../../../src/transcription/openai-response.ts';
import { placeUtteranceResults } from '../../../src/transcription/utterance-stream.ts';

describe('openai response', () => {
  it('maps verbose_json segments to finals, with their words and exp(avg_logprob) as confidence', () => {
    const body = {
      text: 'Hello there. General Kenobi.',
      segments: [
        { id: 0, start: 0.2, end: 1.1, text: ' Hello there.', avg_logprob: -0.1, no_speech_prob: 0.01 },
        { id: 1, start: 1.3, end: 2.6, text: ' General Kenobi.', avg_logprob: -0.3, no_speech_prob: 0.02 },
      ],
      words: [
        { word: 'Hello', start: 0.2, end: 0.5 },
        { word: 'there', start: 0.5, end: 1.1 },
        { word: 'General', start: 1.3, end: 1.9 },
        { word: 'Kenobi', start: 1.9, end: 2.9 },
      ],
    };
    const r = parseTranscription(body, 2.8)!;
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({
      final: true,
      text: 'Hello there.',
      startSec: 0.2,
      endSec: 1.1,
      words: [{ word: 'Hello' }, { word: 'there' }],
    });
    expect(r[0]!.confidence).toBeCloseTo(Math.exp(-0.1), 6);
    // Times never pass the audio's end; words stay inside their segment.
    expect(r[1]).toMatchObject({ text: 'General Kenobi.', startSec: 1.3, endSec: 2.6 });
    expect(r[1]!.words!.at(-1)).toEqual({ word: 'Kenobi', startSec: 1.9, endSec: 2.6 });
  });

  it('drops segments Whisper itself marks as no speech, and empty ones', () => {
    const body = {
      text: 'Thanks for watching!',
      segments: [
        { start: 0, end: 2, text: ' Thanks for watching!', avg_logprob: -1.5, no_speech_prob: 0.9 },
        { start: 2, end: 3, text: ' ' },
      ],
    };
    expect(parseTranscription(body, 3)).toEqual([]);
  });

  it('reads text-only answers as one phrase over the words or the whole utterance', () => {
    expect(parseTranscription({ text: ' hi ' }, 1.5)).toEqual([{ final: true, text: 'hi', confidence: null, startSec: 0, endSec: 1.5 }]);
    expect(
      parseTranscription(
        {
          text: 'a b',
          words: [
            { word: 'a', start: 0.3, end: 0.4 },
            { word: 'b', start: 0.5, end: 0.9 },
          ],
        },
        2,
      ),
    ).toMatchObject([{ startSec: 0.3, endSec: 0.9 }]);
    expect(parseTranscription({ text: '' }, 1)).toEqual([]);
    expect(parseTranscription({ error: 'x' }, 1)).toBeNull();
    expect(parseTranscription('text', 1)).toBeNull();
  });

  it('classifies statuses', () => {
    expect(classifyOpenAiStatus(401)).toEqual({ kind: 'fatal', reason: 'auth' });
    expect(classifyOpenAiStatus(403)).toEqual({ kind: 'fatal', reason: 'auth' });
    expect(classifyOpenAiStatus(404)).toEqual({ kind: 'fatal', reason: 'invalid_request' });
    expect(classifyOpenAiStatus(400)).toEqual({ kind: 'fatal', reason: 'invalid_request' });
    expect(classifyOpenAiStatus(429)).toEqual({ kind: 'retry', reason: 'quota' });
    expect(classifyOpenAiStatus(503)).toEqual({ kind: 'retry', reason: 'unavailable' });
  });

  it('reads Retry-After, languages, and scrubs keys from server text', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(retryAfterMs('soon', 0)).toBeNull();
    expect(retryAfterMs(null, 0)).toBeNull();
    expect(openAiLanguage('en-US')).toBe('en');
    expect(openAiLanguage('pt_BR')).toBe('pt');
    expect(openAiLanguage('??')).toBeNull();
    const text = serverErrorText(JSON.stringify({ error: { message: 'bad key sk-abc123secret and sk-ab****cdef' } }), ['sk-abc123secret']);
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('cdef');
    expect(serverErrorText('plain\n failure', [])).toBe('plain failure');
  });

  it('places an utterance’s results on the stream, inside it and after the previous final', () => {
    const placed = placeUtteranceResults(
      [
        { final: true, text: ' one ', confidence: null, startSec: -0.1, endSec: 0.5, words: [{ word: 'one', startSec: 0, endSec: 0.6 }] },
        { final: true, text: 'two', confidence: null, startSec: 0.4, endSec: 9 },
        { final: true, text: ' ', confidence: null, startSec: 1, endSec: 1.2 },
      ],
      { startSec: 10, endSec: 12 },
      10.2,
    );
    expect(placed).toEqual([
      { final: true, text: 'one', confidence: null, startSec: 10.2, endSec: 10.5, words: [{ word: 'one', startSec: 10.2, endSec: 10.5 }] },
      { final: true, text: 'two', confidence: null, startSec: 10.5, endSec: 12 },
    ]);
  });
});
