import { describe, expect, it } from 'vitest';
import { parseJobRequest, type JobRequest } from '../../../src/domain/job-request.ts';
import { JobEventTracker, conferenceJid } from '../../../src/jobs/job-events.ts';
import type { SessionResult } from '../../../src/session/session-types.ts';

const policy = {
  allowedMeetingHosts: ['*'],
  allowedStreamHosts: ['*'],
  allowHttp: false,
  defaultMaxDurationSec: 60,
  maxDurationCapSec: 60,
};
const job = (input: Record<string, unknown>): JobRequest => ({
  ...parseJobRequest({ meetingUrl: 'https://meet.example.com/acme/Standup', ...input }, policy, () => 's1'),
  appId: 'app-1',
});
const result = (over: Partial<SessionResult> = {}): SessionResult =>
  ({
    sessionId: 's1',
    status: 'finished',
    reason: 'requested',
    failure: null,
    file: null,
    stream: null,
    metadataFile: null,
    durationSec: 10,
    startedAt: null,
    endedAt: '2026-11-23T00:00:00Z',
    participants: [],
    ...over,
  }) as SessionResult;
const types = (events: Array<{ eventType: string }>) => events.map((e) => e.eventType);

describe('JobEventTracker', () => {
  it('names the conference as Jicofo does', () => {
    expect(conferenceJid(job({ file: true }))).toBe('standup@conference.acme.meet.example.com');
  });
  it('sends RECORDING_STARTED once, then RECORDING_ENDED with the reason', () => {
    const t = new JobEventTracker(job({ file: true }), () => 42);
    expect(t.onState({ status: 'starting', step: 'joining' })).toEqual([]);
    const started = t.onState({ status: 'running', captureStartedAtMs: 1 });
    expect(started).toEqual([
      {
        eventType: 'RECORDING_STARTED',
        data: { conference: 'standup@conference.acme.meet.example.com' },
        sessionId: 's1',
        room: 'Standup',
        appId: 'app-1',
        timestampMs: 42,
      },
    ]);
    expect(t.onState({ status: 'running', captureStartedAtMs: 1 })).toEqual([]);
    const end = t.onEnd(result({ reason: 'empty_call' }), true);
    expect(types(end)).toEqual(['RECORDING_ENDED']);
    expect(end[0]!.data).toMatchObject({ reason: 'empty_call' });
  });
  it('reports a final failure, with whether a retry can help; nothing for a failure that will be retried', () => {
    const failure = { code: 'join_timeout' as const, message: 'not joined in 30 s', scope: 'session' as const, retryable: true };
    const t = new JobEventTracker(job({ file: true }));
    expect(t.onEnd(result({ status: 'failed', reason: 'error', failure }), false)).toEqual([]);
    const final = t.onEnd(result({ status: 'failed', reason: 'error', failure }), true);
    expect(types(final)).toEqual(['RECORDING_FAILED']);
    expect(final[0]!.data).toMatchObject({ mode: 'file', reason: 'join_timeout', shouldRetry: true });
  });
  it('follows the live stream: started on first connect, ended once', () => {
    const t = new JobEventTracker(job({ stream: { streamId: 'rtmp://live.example.com/app/key' } }));
    expect(t.onState({ status: 'running', captureStartedAtMs: 1 })).toEqual([]); // no file output
    expect(types(t.onStream({ status: 'connected', reconnects: 0 }))).toEqual(['LIVE_STREAM_STARTED']);
    expect(t.onStream({ status: 'reconnecting', attempt: 1, reason: 'dropped', delayMs: 500 })).toEqual([]);
    expect(t.onStream({ status: 'connected', reconnects: 1 })).toEqual([]);
    const ended = t.onStream({ status: 'ended', code: 'stream_lost', reason: 'gave up after 60 s', error: true, retryable: true });
    expect(types(ended)).toEqual(['LIVE_STREAM_ENDED']);
    expect(ended[0]!.data).toMatchObject({ reason: 'stream_lost', error: { code: 'stream_lost' } });
    expect(t.onEnd(result(), true)).toEqual([]);
  });
  it('ends a stream that was still live when the session ended', () => {
    const t = new JobEventTracker(job({ file: true, stream: { streamId: 'rtmp://live.example.com/app/key' } }));
    t.onState({ status: 'running', captureStartedAtMs: 1 });
    t.onStream({ status: 'connected', reconnects: 0 });
    expect(types(t.onEnd(result(), true))).toEqual(['LIVE_STREAM_ENDED', 'RECORDING_ENDED']);
  });
  it('turns each final phrase into TRANSCRIPTION_CHUNK_RECEIVED, and the stored transcript into TRANSCRIPTION_UPLOADED', () => {
    const t = new JobEventTracker(job({ transcription: { language: 'en-GB' } }), () => 7);
    const chunk = t.onPhrase({
      id: 'm-1',
      speaker: { id: 'abcd', name: 'Alice' },
      startSec: 1,
      endSec: 2,
      text: 'hello',
      confidence: 0.9,
      language: 'en-GB',
    });
    expect(chunk).toEqual([
      {
        eventType: 'TRANSCRIPTION_CHUNK_RECEIVED',
        data: {
          final: 'hello',
          language: 'en-GB',
          messageID: 'm-1',
          participant: { id: 'abcd', name: 'Alice', userId: '', email: '', avatarUrl: '' },
        },
        sessionId: 's1',
        room: 'Standup',
        appId: 'app-1',
        timestampMs: 7,
      },
    ]);
    expect(t.onTranscriptUploaded('https://store/x.json')).toEqual([
      expect.objectContaining({ eventType: 'TRANSCRIPTION_UPLOADED', data: { preAuthenticatedLink: 'https://store/x.json' } }),
    ]);
    // A transcription-only job reports no recording events, and fails as 'transcription'.
    expect(t.onState({ status: 'running', captureStartedAtMs: 1 })).toEqual([]);
    expect(t.onFailure({ code: 'join_timeout', message: 'x', retryable: false })[0]!.data).toMatchObject({ mode: 'transcription' });
  });
});
