/**
 * The mixed-audio fallback: the synthetic meeting's tracks hand out no MediaStream
 * (`noTrackStreams=1`), so the tap cannot start and the session transcribes its PulseAudio monitor as one
 * pseudo-speaker. Real Chromium/Xvfb/PulseAudio/ffmpeg/pocketsphinx; asserts attribution and times, not words.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import type { SessionPhrase } from '../../src/session/session-types.ts';
import { isAlive } from '../helpers/processes.ts';
import { memoryLogger, newSession, request, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;

beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0, fixturesDir: await ensureFixtures() });
});
afterAll(async () => {
  await meeting?.close();
});

describe('transcription fallback to the mixed audio', () => {
  it('transcription only, tracks unreadable: phrases from speaker "mixed" on the session’s timeline', async () => {
    const { logger, lines } = memoryLogger();
    const session = newSession(
      testConfig(),
      request(`${meeting.url}/acme/mixed?participants=3&noTrackStreams=1`, 'tx-mixed', {
        recordFile: false,
        maxDurationSec: 15,
        transcription: { language: 'en-US' },
      }),
      logger,
    );
    const phrases: SessionPhrase[] = [];
    session.on('phrase', (p) => phrases.push(p));
    const result = await session.run();
    expect(result.failure).toBeNull();
    expect(result.status).toBe('finished');
    expect(lines.some((l) => l.includes('falling back to the mixed meeting audio'))).toBe(true);

    const t = result.transcript!;
    const json = JSON.parse(readFileSync(t.files.json, 'utf8')) as {
      start_time: string;
      end_time: string;
      participants: Array<{ id: string; name: string }>;
      events: Array<{ event: string; participant: { id: string; name: string }; start_sec: number; end_sec: number }>;
    };
    // No per-participant streams: one pseudo-speaker only.
    expect(json.participants).toEqual([{ id: 'mixed', name: 'Meeting' }]);
    const speech = json.events.filter((e) => e.event === 'SPEECH');
    expect(speech.length).toBeGreaterThanOrEqual(1);
    expect(speech.length).toBe(t.phrases);
    expect(phrases.every((p) => p.speaker.id === 'mixed')).toBe(true);
    const duration = (Date.parse(json.end_time) - Date.parse(json.start_time)) / 1000;
    for (const e of speech) {
      expect(e.participant).toEqual({ id: 'mixed', name: 'Meeting' });
      expect(e.start_sec).toBeGreaterThanOrEqual(0);
      expect(e.end_sec).toBeGreaterThanOrEqual(e.start_sec);
      expect(e.end_sec).toBeLessThanOrEqual(duration + 0.5);
    }
    console.log(
      'mixed phrases',
      speech.map((e) => `${e.start_sec.toFixed(2)}-${e.end_sec.toFixed(2)}`).join(' '),
      'of',
      duration.toFixed(1),
      's',
    );
    expect(session.pids().filter(isAlive)).toEqual([]);
  }, 90_000);
});
