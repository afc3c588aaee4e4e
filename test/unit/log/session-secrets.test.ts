/** Secrets of a session never survive into text that leaves the process. */
import { describe, expect, it } from 'vitest';
import { navigationErrorDetail } from '../../../src/browser/navigation-error.ts';
import { buildMeetingUrl } from '../../../src/browser/meeting-url.ts';
import { parseJobRequest } from '../../../src/domain/job-request.ts';
import { scrubSecrets, sessionSecrets } from '../../../src/log/session-secrets.ts';
import { JobEventTracker } from '../../../src/jobs/job-events.ts';
import { jobSecrets } from '../../../src/jobs/job-secrets.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoic3RhbmR1cCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const XMPP_PASSWORD = 'rec-Pa$$word&=#1';
const ROOM_PASSWORD = 'hunter2-room';
const policy = {
  allowedMeetingHosts: ['*'],
  allowedStreamHosts: ['*'],
  allowHttp: false,
  defaultMaxDurationSec: 60,
  maxDurationCapSec: 60,
};

describe('navigation errors', () => {
  it("keeps Chromium's net::ERR code and drops the URL", () => {
    const url = buildMeetingUrl(
      { baseUrl: 'https://meet.invalid', tenant: null, room: 'standup', jwt: JWT },
      { domain: 'recorder.meet.invalid', username: 'rec', password: XMPP_PASSWORD, randomSuffix: null },
      { displayName: 'Recorder', email: '' },
      ROOM_PASSWORD,
    );
    const secrets = sessionSecrets({ target: { jwt: JWT }, roomPassword: ROOM_PASSWORD, login: { password: XMPP_PASSWORD } });
    // Even if the URL reached a message whole, the session's scrub cuts every secret out of it.
    const scrubbed = scrubSecrets(`net::ERR_NAME_NOT_RESOLVED at ${url}`, secrets);
    for (const secret of secrets) expect(scrubbed).not.toContain(secret);
    const detail = navigationErrorDetail(`net::ERR_NAME_NOT_RESOLVED at ${url}`);
    expect(detail).toBe('net::ERR_NAME_NOT_RESOLVED');
  });

  it('cuts URLs out of other messages', () => {
    expect(navigationErrorDetail('Navigating frame was detached at https://x.example/r?jwt=abc#config=1')).toBe(
      'Navigating frame was detached',
    );
    expect(navigationErrorDetail('Protocol error: Cannot navigate to invalid URL')).toBe('Protocol error: Cannot navigate to invalid URL');
  });
});

describe('scrubSecrets', () => {
  const secrets = sessionSecrets({
    target: { jwt: JWT },
    roomPassword: ROOM_PASSWORD,
    login: { password: XMPP_PASSWORD },
    streamUrls: ['rtmp://live.example.com/app/stream-key-123'],
    metadata: { upload: { token: 'upload-token-xyz' } },
  });

  it.each([
    ['as is', (s: string) => s],
    ['URI-encoded', encodeURIComponent],
    ['URI-encoded twice', (s: string) => encodeURIComponent(encodeURIComponent(s))],
    ['JSON-escaped', (s: string) => JSON.stringify(s).slice(1, -1)],
  ])('removes each secret %s', (_name, form) => {
    for (const secret of [JWT, XMPP_PASSWORD, ROOM_PASSWORD, 'stream-key-123', 'upload-token-xyz']) {
      const out = scrubSecrets(`failed: ${form(secret)} (more)`, secrets);
      expect(out).not.toContain(form(secret));
      expect(out).toContain('[redacted]');
    }
  });

  it('leaves ordinary text alone', () => {
    expect(scrubSecrets('the meeting page failed to load: net::ERR_CONNECTION_REFUSED', secrets)).toBe(
      'the meeting page failed to load: net::ERR_CONNECTION_REFUSED',
    );
  });

  it('ignores secrets too short to cut without garbling the message', () => {
    expect(sessionSecrets({ roomPassword: 'ab' })).toEqual([]);
  });
});

describe('webhook events of a job', () => {
  it('carry no secret in RECORDING_FAILED, LIVE_STREAM_ENDED or RECORDING_ENDED', () => {
    const job = parseJobRequest(
      {
        meetingUrl: `https://meet.example.com/standup?jwt=${JWT}`,
        roomPassword: ROOM_PASSWORD,
        file: true,
        stream: { streamId: 'rtmp://live.example.com/app/stream-key-123' },
        metadata: { token: 'upload-token-xyz' },
      },
      policy,
      () => 's1',
    );
    const tracker = new JobEventTracker(job);
    const leak = `boom at https://meet.example.com/standup?jwt=${JWT}#x=${encodeURIComponent(ROOM_PASSWORD)} key stream-key-123 upload-token-xyz`;
    const events = [
      ...tracker.onFailure({ code: 'page_load_failed', message: leak, retryable: true }),
      ...tracker.onStream({ status: 'connected' } as never),
      ...tracker.onStream({ status: 'ended', code: 'stream_failed', error: true, reason: leak } as never),
    ];
    const body = JSON.stringify(events);
    for (const secret of jobSecrets(job)) expect(body).not.toContain(secret);
    expect(body).toContain('[redacted]');
  });
});
