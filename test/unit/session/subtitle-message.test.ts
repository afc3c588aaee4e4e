import { describe, expect, it } from 'vitest';
import { clearingMessage, transcriptionResultMessage } from '../../../src/session/subtitle-message.ts';

describe('transcriptionResultMessage', () => {
  it('is Jigasi’s final transcription-result, timed on the wall clock of the phrase', () => {
    const m = transcriptionResultMessage(
      {
        id: 'm1',
        speaker: { id: 'abcd', name: 'Alice' },
        startSec: 1.5,
        endSec: 3,
        text: 'hello there',
        confidence: null,
        language: 'en-US',
      },
      Date.UTC(2026, 10, 23, 10, 0, 0),
    );
    expect(m).toEqual({
      type: 'transcription-result',
      event: 'SPEECH',
      timestamp: '2026-11-23T10:00:01.500Z',
      participant: { id: 'abcd', name: 'Alice' },
      transcript: [{ text: 'hello there', confidence: 0 }],
      language: 'en-US',
      is_interim: false,
      message_id: 'm1',
      stability: 1,
    });
  });

  it('marks an interim as Jigasi does: is_interim, unstable, under the message id its final will reuse', () => {
    const phrase = {
      id: 'm2',
      speaker: { id: 'abcd', name: 'Alice' },
      startSec: 2,
      endSec: 2.5,
      text: 'hel',
      confidence: null,
      language: 'en-US',
    };
    expect(transcriptionResultMessage(phrase, Date.UTC(2026, 10, 23, 10, 0, 0), true)).toMatchObject({
      is_interim: true,
      message_id: 'm2',
      stability: 0,
      transcript: [{ text: 'hel', confidence: 0 }],
    });
  });

  it('clears a line with an empty final under its id', () => {
    const line = { id: 'm3', speaker: { id: 'abcd', name: 'Alice' }, startSec: 2, endSec: 2.5, confidence: 0.4, language: 'en-US' };
    const expected = {
      type: 'transcription-result',
      event: 'SPEECH',
      timestamp: '2026-11-23T10:00:02.000Z',
      participant: { id: 'abcd', name: 'Alice' },
      transcript: [{ text: '', confidence: 0 }],
      language: 'en-US',
      is_interim: false,
      message_id: 'm3',
      stability: 1,
    };
    const t0 = Date.UTC(2026, 10, 23, 10, 0, 0);
    expect(clearingMessage(line, t0)).toEqual(expected);
  });
});
