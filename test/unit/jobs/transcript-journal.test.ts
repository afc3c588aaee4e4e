import { describe, expect, it } from 'vitest';
import { headerLine, journalKey, phraseLine, salvagedTranscriptKeys, transcriptFromJournal } from '../../../src/jobs/transcript-journal.ts';
import type { SessionPhrase } from '../../../src/session/session-types.ts';

const phrase = (n: number, speaker = 'p1'): SessionPhrase => ({
  id: `m${n}`,
  speaker: { id: speaker, name: `Speaker ${speaker}` },
  startSec: n * 5,
  endSec: n * 5 + 2.5,
  text: `phrase number ${n}`,
  confidence: 0.8,
  language: 'en-US',
});

const header = headerLine({ room: 'room1', startedAtMs: 1_700_000_000_000, language: 'en-US', engine: 'pocketsphinx' });

describe('the transcript journal', () => {
  it('names the journal and the salvaged files by segment, under the session', () => {
    expect(journalKey('abc', 1)).toBe('abc/segment-1.transcript.jsonl');
    expect(salvagedTranscriptKeys('abc', 2)).toEqual({
      json: 'abc/segment-2.transcript.json',
      txt: 'abc/segment-2.transcript.txt',
      vtt: 'abc/segment-2.transcript.vtt',
    });
  });

  it('rebuilds the transcript from its lines, in order, each phrase once', () => {
    const text = header + phraseLine(phrase(2, 'p2')) + phraseLine(phrase(1)) + phraseLine(phrase(3));
    const rebuilt = transcriptFromJournal(text);
    expect(rebuilt?.phrases).toBe(3);
    const t = rebuilt!.transcript;
    expect(t).toMatchObject({ room: 'room1', startedAtMs: 1_700_000_000_000, language: 'en-US', engine: 'pocketsphinx' });
    expect(t.endedAtMs).toBe(1_700_000_000_000 + 17_500);
    expect(t.events.map((e) => (e.kind === 'speech' ? e.text : ''))).toEqual(['phrase number 1', 'phrase number 2', 'phrase number 3']);
    expect(t.participants.map((p) => p.id).sort()).toEqual(['p1', 'p2']);
  });

  it('skips lines that make no sense and refuses a journal without its header', () => {
    const text = `${header}not json\n{"speaker":{"id":"x"}}\n[1]\n${phraseLine(phrase(1))}`;
    expect(transcriptFromJournal(text)?.phrases).toBe(1);
    expect(transcriptFromJournal(phraseLine(phrase(1)))).toBeNull();
    expect(transcriptFromJournal('')).toBeNull();
    expect(transcriptFromJournal('{"v":2,"room":"r","startedAtMs":1}\n')).toBeNull();
  });
});
