import { describe, expect, it } from 'vitest';
import { parseVoskReply, VOSK_EOF, voskConfigMessage } from '../../../src/transcription/vosk-messages.ts';

describe('vosk messages', () => {
  it('writes the config and eof exactly as the reference server expects', () => {
    expect(voskConfigMessage(16_000)).toBe('{"config":{"sample_rate":16000}}');
    expect(VOSK_EOF).toBe('{"eof" : 1}');
  });

  it('reads partials, results with words, results without them, and junk', () => {
    expect(parseVoskReply('{ "partial" : "hello wor" }')).toEqual({ kind: 'partial', text: 'hello wor' });
    expect(
      parseVoskReply(
        JSON.stringify({
          result: [
            { conf: 1, start: 0.5, end: 0.9, word: 'hello' },
            { conf: 0.5, start: 0.9, end: 1.3, word: 'world' },
          ],
          text: 'hello world',
        }),
      ),
    ).toEqual({
      kind: 'result',
      text: 'hello world',
      confidence: 0.75,
      words: [
        { word: 'hello', startSec: 0.5, endSec: 0.9 },
        { word: 'world', startSec: 0.9, endSec: 1.3 },
      ],
    });
    expect(parseVoskReply('{"text": ""}')).toEqual({ kind: 'result', text: '', words: [], confidence: null });
    expect(parseVoskReply('{"text": "hi"}')).toMatchObject({ kind: 'result', text: 'hi', confidence: null });
    expect(parseVoskReply('nope')).toMatchObject({ kind: 'invalid' });
    expect(parseVoskReply('{"foo": 1}')).toMatchObject({ kind: 'invalid' });
  });
});
