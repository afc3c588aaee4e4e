import { describe, expect, it } from 'vitest';
import type { SpeechResult } from '../../../src/transcription/speech-engine.ts';
import { assembleTranscript, speechEvent, type Transcript } from '../../../src/transcription/transcript.ts';
import {
  formatClock,
  formatVttTime,
  transcriptToJson,
  transcriptToTxt,
  transcriptToVtt,
  wrapWords,
} from '../../../src/transcription/transcript-formats.ts';

const alice = { id: 'a1b2', name: 'Alice Archer' };
const bruno = { id: 'c3d4', name: 'Bruno <B> & Co' };
const final = (startSec: number, endSec: number, text: string, confidence: number | null = 0.9): SpeechResult => ({
  final: true,
  text,
  confidence,
  startSec,
  endSec,
});

// Alice's stream starts with the recording; Bruno joined 6 s in, so his stream timeline starts at 6 s.
const transcript: Transcript = assembleTranscript({
  room: 'standup',
  startedAtMs: Date.UTC(2025, 0, 31, 9, 0, 0),
  endedAtMs: Date.UTC(2025, 0, 31, 9, 1, 5, 500),
  language: 'en-US',
  engine: 'google',
  participants: [alice],
  phrases: [
    { speaker: bruno, streamOffsetSec: 6, result: final(0.3, 2.31, 'We should meet again next week.', 0.87) },
    { speaker: alice, streamOffsetSec: 0, result: final(0.3, 2.077, 'The weather is nice today.') },
    { speaker: alice, streamOffsetSec: 0, result: { ...final(2.5, 3, 'interim'), final: false } },
    { speaker: alice, streamOffsetSec: 0, result: final(3601.25, 3603.5, '   ') },
    { speaker: alice, streamOffsetSec: 0, result: final(3601.25, 3603.5, 'Please send me the report.', null) },
  ],
  presence: [{ kind: 'join', speaker: bruno, startSec: 5.5 }],
});

describe('assembleTranscript', () => {
  it('puts finals of every speaker on the recording timeline, in order, and lists every speaker', () => {
    expect(transcript.events.map((e) => [e.kind, e.speaker.id, e.startSec])).toEqual([
      ['speech', 'a1b2', 0.3],
      ['join', 'c3d4', 5.5],
      ['speech', 'c3d4', 6.3],
      ['speech', 'a1b2', 3601.25],
    ]);
    expect(transcript.participants).toEqual([alice, bruno]);
  });

  it('clamps phrases that would start before the recording', () => {
    expect(speechEvent({ speaker: alice, streamOffsetSec: -1, result: final(0.5, 1.5, 'hi') })).toMatchObject({ startSec: 0, endSec: 0.5 });
  });
});

describe('transcript formats', () => {
  it('JSON', () => {
    expect(JSON.parse(transcriptToJson(transcript))).toEqual({
      version: 1,
      room_name: 'standup',
      start_time: '2025-01-31T09:00:00.000Z',
      end_time: '2025-01-31T09:01:05.500Z',
      duration_sec: 65.5,
      language: 'en-US',
      engine: 'google',
      participants: [
        { id: 'a1b2', name: 'Alice Archer' },
        { id: 'c3d4', name: 'Bruno <B> & Co' },
      ],
      events: [
        {
          event: 'SPEECH',
          participant: { id: 'a1b2', name: 'Alice Archer' },
          start_sec: 0.3,
          end_sec: 2.077,
          timestamp: '2025-01-31T09:00:00.300Z',
          text: 'The weather is nice today.',
          confidence: 0.9,
        },
        { event: 'JOIN', participant: { id: 'c3d4', name: 'Bruno <B> & Co' }, start_sec: 5.5, timestamp: '2025-01-31T09:00:05.500Z' },
        {
          event: 'SPEECH',
          participant: { id: 'c3d4', name: 'Bruno <B> & Co' },
          start_sec: 6.3,
          end_sec: 8.31,
          timestamp: '2025-01-31T09:00:06.300Z',
          text: 'We should meet again next week.',
          confidence: 0.87,
        },
        {
          event: 'SPEECH',
          participant: { id: 'a1b2', name: 'Alice Archer' },
          start_sec: 3601.25,
          end_sec: 3603.5,
          timestamp: '2025-01-31T10:00:01.250Z',
          text: 'Please send me the report.',
          confidence: null,
        },
      ],
    });
    expect(transcriptToJson(transcript).endsWith('}\n')).toBe(true);
  });

  it('TXT', () => {
    expect(transcriptToTxt(transcript)).toBe(
      [
        'Transcript of standup, 2025-01-31T09:00:00.000Z to 2025-01-31T09:01:05.500Z',
        '',
        '[00:00:00] Alice Archer: The weather is nice today.',
        '[00:00:05] Bruno <B> & Co joined',
        '[00:00:06] Bruno <B> & Co: We should meet again next week.',
        '[01:00:01] Alice Archer: Please send me the report.',
        '',
      ].join('\n'),
    );
  });

  it('WebVTT', () => {
    expect(transcriptToVtt(transcript)).toBe(
      [
        'WEBVTT',
        '',
        '1',
        '00:00:00.300 --> 00:00:02.077',
        '<v Alice Archer>The weather is nice today.',
        '',
        '2',
        '00:00:06.300 --> 00:00:08.310',
        '<v Bruno &lt;B&gt; &amp; Co>We should meet again next week.',
        '',
        '3',
        '01:00:01.250 --> 01:00:03.500',
        '<v Alice Archer>Please send me the report.',
        '',
      ].join('\n'),
    );
  });

  it('WebVTT: long phrases wrap at 42 characters and split into cues of two lines, time shared by length', () => {
    const long = assembleTranscript({
      room: 'r',
      startedAtMs: 0,
      endedAtMs: 60_000,
      language: 'en-US',
      engine: 'pocketsphinx',
      participants: [],
      phrases: [
        {
          speaker: alice,
          streamOffsetSec: 10,
          result: final(
            0,
            9,
            'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty',
          ),
        },
      ],
    });
    expect(transcriptToVtt(long)).toBe(
      [
        'WEBVTT',
        '',
        '1',
        '00:00:10.000 --> 00:00:15.538',
        '<v Alice Archer>one two three four five six seven eight',
        'nine ten eleven twelve thirteen fourteen',
        '',
        '2',
        '00:00:15.538 --> 00:00:19.000',
        '<v Alice Archer>fifteen sixteen seventeen eighteen',
        'nineteen twenty',
        '',
      ].join('\n'),
    );
  });

  it('formats times', () => {
    expect(formatClock(0)).toBe('00:00:00');
    expect(formatClock(59.999)).toBe('00:00:59');
    expect(formatClock(3 * 3600 + 7 * 60 + 5.5)).toBe('03:07:05');
    expect(formatVttTime(0.0005)).toBe('00:00:00.001');
    expect(formatVttTime(3599.9996)).toBe('01:00:00.000');
    expect(formatVttTime(-1)).toBe('00:00:00.000');
  });

  it('wraps words', () => {
    expect(wrapWords(['aaaa', 'bb', 'cc'], 7)).toEqual(['aaaa bb', 'cc']);
    expect(wrapWords(['a-very-long-word', 'x'], 5)).toEqual(['a-very-long-word', 'x']);
    expect(wrapWords([], 5)).toEqual([]);
  });

  it('an empty transcript is a valid file in each format', () => {
    const empty = assembleTranscript({
      room: 'r',
      startedAtMs: 0,
      endedAtMs: 0,
      language: 'en-US',
      engine: 'x',
      participants: [],
      phrases: [],
    });
    expect(transcriptToVtt(empty)).toBe('WEBVTT\n');
    expect(transcriptToTxt(empty)).toBe('Transcript of r, 1970-01-01T00:00:00.000Z to 1970-01-01T00:00:00.000Z\n\n');
    expect(JSON.parse(transcriptToJson(empty)).events).toEqual([]);
  });
});
