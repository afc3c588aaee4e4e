import { describe, expect, it } from 'vitest';
import {
  hostAllowed,
  meetingHostAllowed,
  jobKinds,
  parseJobRequest,
  resolveStreamTarget,
  type JobPolicy,
} from '../../../src/domain/job-request.ts';

const policy: JobPolicy = {
  allowedMeetingHosts: ['meet.example.com', '*.jitsi.example.org'],
  allowedStreamHosts: ['a.rtmp.youtube.com', 'live.example.com'],
  allowHttp: false,
  defaultMaxDurationSec: 3600,
  maxDurationCapSec: 21600,
};
const id = () => 'generated-id';
const parse = (input: unknown) => parseJobRequest(input, policy, id);

describe('hostAllowed', () => {
  it.each([
    ['meet.example.com', ['meet.example.com'], true],
    ['MEET.example.com.', ['meet.example.com'], true],
    ['evil-meet.example.com', ['meet.example.com'], false],
    ['a.jitsi.example.org', ['*.jitsi.example.org'], true],
    ['jitsi.example.org', ['*.jitsi.example.org'], false],
    ['xjitsi.example.org', ['*.jitsi.example.org'], false],
    ['anything.test', ['*'], true],
    ['anything.test', [], false],
  ] as const)('%s with %o → %s', (host, patterns, expected) => {
    expect(hostAllowed(host, patterns)).toBe(expected);
  });
});

describe('meetingHostAllowed: the port counts', () => {
  it.each([
    ['https://meet.example.com/r', ['meet.example.com'], true],
    ['https://meet.example.com:443/r', ['meet.example.com'], true],
    ['https://meet.example.com:6379/r', ['meet.example.com'], false],
    ['http://meet.example.com:80/r', ['meet.example.com'], true],
    ['https://meet.example.com:8443/r', ['meet.example.com:8443'], true],
    ['https://meet.example.com/r', ['meet.example.com:8443'], false],
    ['https://meet.example.com:6379/r', ['meet.example.com:8443'], false],
    ['https://127.0.0.1:45678/r', ['127.0.0.1:*'], true],
    ['https://a.jitsi.example.org:6379/r', ['*.jitsi.example.org'], false],
    ['https://a.jitsi.example.org:6379/r', ['*.jitsi.example.org:*'], true],
    ['https://anything.test:1234/r', ['*'], false],
    ['https://anything.test:1234/r', ['*:*'], true],
    ['https://[::1]:8443/r', ['[::1]:8443'], true],
  ] as const)('%s with %o → %s', (url, patterns, expected) => {
    expect(meetingHostAllowed(new URL(url), patterns)).toBe(expected);
  });

  it('refuses a request for another port of an allowed host', () => {
    expect(() => parse({ meetingUrl: 'https://meet.example.com:6379/r', file: true })).toThrow(/meet\.example\.com:6379 are not allowed/);
  });
});

describe('resolveStreamTarget', () => {
  it('turns a YouTube key into YouTube ingest URL', () => {
    expect(resolveStreamTarget('abcd-1234-efgh', policy.allowedStreamHosts)).toBe('rtmp://a.rtmp.youtube.com/live2/abcd-1234-efgh');
  });
  it('keeps an allowed rtmp(s) URL', () => {
    expect(resolveStreamTarget('rtmps://live.example.com:443/app/key1', policy.allowedStreamHosts)).toBe(
      'rtmps://live.example.com:443/app/key1',
    );
  });
  it.each([
    ['rtmp://evil.example.net/app/secretkey', /evil\.example\.net is not allowed/],
    ['rtmp://live.example.com/onlyapp', /application and a stream key/],
    ['http://live.example.com/app/k', /rtmp:\/\/ or rtmps:\/\//],
    ['javascript:alert(1)', /rtmp:\/\/ or rtmps:\/\//],
    ['key with spaces', /characters a key cannot have/],
  ])('rejects %s', (streamId, message) => {
    expect(() => resolveStreamTarget(streamId, policy.allowedStreamHosts)).toThrow(message);
  });
  it('never repeats the key in an error', () => {
    try {
      resolveStreamTarget('rtmp://evil.example.net/app/supersecretkey', policy.allowedStreamHosts);
    } catch (err) {
      expect((err as Error).message).not.toContain('supersecretkey');
    }
  });
});

describe('parseJobRequest', () => {
  it('fills defaults into a fully required object', () => {
    expect(parse({ meetingUrl: 'https://meet.example.com/acme/Standup?jwt=t', file: true })).toEqual({
      sessionId: 'generated-id',
      target: { baseUrl: 'https://meet.example.com', tenant: 'acme', room: 'Standup', jwt: 't' },
      roomPassword: null,
      outputs: [{ kind: 'file', resolution: '720p' }],
      maxDurationSec: 3600,
      metadata: {},
      initiator: null,
      appId: null,
      webhookUrl: null,
    });
  });
  it('combines file, stream and transcription in one session', () => {
    const r = parse({
      sessionId: 'abc_1',
      meetingUrl: 'https://x.jitsi.example.org/room',
      file: { resolution: '1080p' },
      stream: { streamId: 'yt-key', youtubeBroadcastId: 'bcast1' },
      transcription: { language: 'de-DE' },
      maxDurationSec: 600,
      metadata: { share: true },
      initiator: { id: 'u1', name: 'Mod' },
    });
    expect(r.outputs).toEqual([
      { kind: 'file', resolution: '1080p' },
      { kind: 'stream', url: 'rtmp://a.rtmp.youtube.com/live2/yt-key', youtubeBroadcastId: 'bcast1' },
      { kind: 'transcription', language: 'de-DE' },
    ]);
    expect(jobKinds(r)).toEqual(['file', 'stream', 'transcription']);
    expect(r.initiator).toEqual({ id: 'u1', name: 'Mod', email: null });
  });
  it.each([
    [{}, /meetingUrl/],
    [{ meetingUrl: 'https://meet.example.com/r' }, /at least one of file, stream or transcription/],
    [{ meetingUrl: 'https://other.example.com/r', file: true }, /other\.example\.com are not allowed/],
    [{ meetingUrl: 'http://meet.example.com/r', file: true }, /https/],
    [{ meetingUrl: 'file:///etc/passwd', file: true }, /https/],
    [{ meetingUrl: 'data:text/html,hi', file: true }, /https/],
    [{ meetingUrl: 'https://meet.example.com/a/../b', file: true }, /\.\./],
    [{ meetingUrl: 'https://meet.example.com/r%00x', file: true }, /control characters/],
    [{ meetingUrl: 'https://meet.example.com/r', file: { resolution: '4k' } }, /file\.resolution/],
    [{ meetingUrl: 'https://meet.example.com/r', file: true, maxDurationSec: 999999 }, /at most 21600/],
    [{ meetingUrl: 'https://meet.example.com/r', file: true, maxDurationSec: -5 }, /maxDurationSec/],
    [{ meetingUrl: 'https://meet.example.com/r', file: true, sessionId: '../x' }, /sessionId/],
    [{ meetingUrl: 'https://meet.example.com/r', file: true, unknownField: 1 }, /unknownField|Unrecognized/],
    [{ meetingUrl: 'https://meet.example.com/r', stream: { streamId: 'rtmp://evil.example.net/a/k' } }, /not allowed/],
    [{ meetingUrl: 'https://meet.example.com/r', transcription: { language: 'english please' } }, /language tag/],
    ['not an object', /request|expected object/i],
  ])('rejects %o with a clear message', (input, message) => {
    expect(() => parse(input)).toThrow(message);
  });
});
