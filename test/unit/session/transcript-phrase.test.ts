import { describe, expect, it } from 'vitest';
import { phraseOnRecording, speakerName, transcriptFiles } from '../../../src/session/transcript-phrase.ts';
import { StreamTimeMap } from '../../../src/transcription/index.ts';

const speaker = { id: 'p1', name: 'Alice' };

describe('phraseOnRecording', () => {
  // Two runs: 0–2 s of stream audio at 1.0 s on the recording, then (after a 5 s mute) 2–4 s at 8.0 s.
  const clock = new StreamTimeMap();
  clock.add({ startMs: 1000, endMs: 3000, discontinuity: true }, 32_000, 16_000);
  clock.add({ startMs: 8000, endMs: 10_000, discontinuity: true }, 32_000, 16_000);

  it('maps a final result’s times (and words) through the stream’s clock, gaps squeezed out', () => {
    const p = phraseOnRecording(
      {
        final: true,
        text: ' hello there ',
        confidence: 0.8,
        startSec: 0.5,
        endSec: 2.5,
        words: [
          { word: 'hello', startSec: 0.5, endSec: 1 },
          { word: 'there', startSec: 2.1, endSec: 2.5 },
        ],
      },
      clock,
      speaker,
    );
    expect(p).toEqual({
      speaker,
      streamOffsetSec: 0,
      result: {
        final: true,
        text: 'hello there',
        confidence: 0.8,
        startSec: 1.5,
        endSec: 8.5,
        words: [
          { word: 'hello', startSec: 1.5, endSec: 2 },
          { word: 'there', startSec: 8.1, endSec: 8.5 },
        ],
      },
    });
  });

  it('ignores interim and empty results, and a stream without audio', () => {
    expect(phraseOnRecording({ final: false, text: 'hel', confidence: null, startSec: 0, endSec: 1 }, clock, speaker)).toBeNull();
    expect(phraseOnRecording({ final: true, text: '  ', confidence: null, startSec: 0, endSec: 1 }, clock, speaker)).toBeNull();
    expect(
      phraseOnRecording({ final: true, text: 'x', confidence: null, startSec: 0, endSec: 1 }, new StreamTimeMap(), speaker),
    ).toBeNull();
  });
});

describe('speakerName / transcriptFiles', () => {
  it('prefers the tap’s name, then the session’s, then the id', () => {
    expect(speakerName('p1', 'Bob', 'Robert')).toBe('Bob');
    expect(speakerName('p1', null, 'Robert')).toBe('Robert');
    expect(speakerName('p1', ' ', undefined)).toBe('p1');
  });
  it('names the files after the recording', () => {
    expect(transcriptFiles('/r/s1/standup_2026-11-23-10-00-00.mp4')).toEqual({
      json: '/r/s1/standup_2026-11-23-10-00-00.transcript.json',
      txt: '/r/s1/standup_2026-11-23-10-00-00.transcript.txt',
      vtt: '/r/s1/standup_2026-11-23-10-00-00.transcript.vtt',
    });
  });
});

describe('phraseOnRecording at a run boundary', () => {
  it('ends a phrase that ends where a mute began in its own run', () => {
    const clock = new StreamTimeMap();
    clock.add({ startMs: 2000, endMs: 3000, discontinuity: true }, 16_000, 16_000);
    clock.add({ startMs: 6000, endMs: 7000, discontinuity: true }, 16_000, 16_000);
    const p = phraseOnRecording({ final: true, text: 'x', confidence: null, startSec: 0, endSec: 1 }, clock, speaker)!;
    expect([p.result.startSec, p.result.endSec]).toEqual([2, 3]);
  });
});
