import { describe, expect, it } from 'vitest';
import type { JobPolicy } from '../../../src/domain/job-request.ts';
import { jibriIqAction, jobFromStartIq, type JibriIqAttrs } from '../../../src/xmpp/start-iq.ts';
import type { XmppEnvironment } from '../../../src/xmpp/xmpp-environment.ts';

const env: XmppEnvironment = {
  name: 'prod',
  xmppServerHosts: ['meet.example.com'],
  xmppDomain: 'meet.example.com',
  baseUrl: 'https://meet.example.com',
  controlLogin: { domain: 'auth.meet.example.com', username: 'jibri', password: 'control-pw', port: 5222 },
  controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery', nickname: 'n' },
  callLogin: { domain: 'recorder.meet.example.com', username: 'recorder', password: 'call-pw' },
  stripFromRoomDomain: 'conference.',
  usageTimeoutSec: 0,
  trustAllXmppCerts: false,
};
// The brewery's base URL is trusted even when the API's allow-list names other hosts only.
const policy: JobPolicy = {
  allowedMeetingHosts: ['other.example.net'],
  allowedStreamHosts: ['a.rtmp.youtube.com', 'live.example.com'],
  allowHttp: false,
  defaultMaxDurationSec: 21600,
  maxDurationCapSec: 43200,
};
const newId = () => 'generated-id';
const ROOM = 'myroom@conference.meet.example.com';
const start = (attrs: JibriIqAttrs, e: XmppEnvironment = env) =>
  jobFromStartIq({ action: 'start', room: ROOM, session_id: 'abcdefghij', ...attrs }, e, policy, newId);

describe('jobFromStartIq: requests Scriba serves', () => {
  it('a file recording, as Jicofo sends it', () => {
    const r = start({
      recording_mode: 'file',
      app_data: '{"file_recording_metadata":{"share":true,"upload_credentials":{"service_name":"dropbox","token":"t"}}}',
    });
    expect(r).toEqual({
      ok: true,
      request: {
        sessionId: 'abcdefghij',
        target: { baseUrl: 'https://meet.example.com', tenant: null, room: 'myroom', jwt: null },
        roomPassword: null,
        outputs: [{ kind: 'file', resolution: '720p' }],
        maxDurationSec: 21600,
        metadata: { share: true, upload_credentials: { service_name: 'dropbox', token: 't' } },
        initiator: null,
        appId: null,
        webhookUrl: null,
        xmppEnvironment: 'prod',
      },
    });
  });

  it.each([
    ['a YouTube key', { streamid: 'abcd-efgh-ijkl-mnop' }, 'rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop', null],
    ['a full rtmps URL', { streamid: 'rtmps://live.example.com/app/key123' }, 'rtmps://live.example.com/app/key123', null],
    [
      'a broadcast id',
      { streamid: 'abcd-efgh', you_tube_broadcast_id: 'Br0adcast_1' },
      'rtmp://a.rtmp.youtube.com/live2/abcd-efgh',
      'Br0adcast_1',
    ],
    [
      'a broadcast viewing URL',
      { streamid: 'abcd-efgh', you_tube_broadcast_id: 'https://www.youtube.com/watch?v=Br0adcast_1' },
      'rtmp://a.rtmp.youtube.com/live2/abcd-efgh',
      'Br0adcast_1',
    ],
    [
      'a youtu.be URL',
      { streamid: 'abcd-efgh', you_tube_broadcast_id: 'http://youtu.be/Br0adcast_1' },
      'rtmp://a.rtmp.youtube.com/live2/abcd-efgh',
      'Br0adcast_1',
    ],
    [
      'an unusable broadcast id (dropped, the stream still runs)',
      { streamid: 'abcd-efgh', you_tube_broadcast_id: 'not an id!' },
      'rtmp://a.rtmp.youtube.com/live2/abcd-efgh',
      null,
    ],
  ])('a stream with %s', (_what, attrs, url, broadcast) => {
    const r = start({ recording_mode: 'stream', ...attrs });
    expect(r.ok && r.request.outputs).toEqual([{ kind: 'stream', url, youtubeBroadcastId: broadcast }]);
  });

  it.each([
    ['upper-case action and mode', { action: 'START', recording_mode: 'FILE' }],
    ['an empty sipaddress', { recording_mode: 'file', sipaddress: '  ' }],
    ['no app_data', { recording_mode: 'file', app_data: undefined }],
    ['app_data without file_recording_metadata', { recording_mode: 'file', app_data: '{"other":1}' }],
    ['app_data null', { recording_mode: 'file', app_data: 'null' }],
  ])('%s', (_what, attrs) => {
    const r = start(attrs);
    expect(r.ok).toBe(true);
    expect(r.ok && r.request.metadata).toEqual({});
  });

  it('a tenant room', () => {
    const r = start({ recording_mode: 'file', room: 'MyRoom@conference.acme.meet.example.com' });
    expect(r.ok && r.request.target).toEqual({ baseUrl: 'https://meet.example.com', tenant: 'acme', room: 'MyRoom', jwt: null });
  });

  it.each([
    ['abc/def ghi', 'abcdefghi'],
    ['   ', 'generated-id'],
    [undefined, 'generated-id'],
    ['x'.repeat(300), 'x'.repeat(128)],
  ])('session_id %o → %s', (sessionId, expected) => {
    const r = start({ recording_mode: 'file', session_id: sessionId });
    expect(r.ok && r.request.sessionId).toBe(expected);
  });

  it.each([
    [0, 21600],
    [3600, 3600],
    [99999, 43200],
  ])('usage timeout %d s → maxDurationSec %d', (usageTimeoutSec, expected) => {
    const r = start({ recording_mode: 'file' }, { ...env, usageTimeoutSec });
    expect(r.ok && r.request.maxDurationSec).toBe(expected);
  });
});

describe('jobFromStartIq: refusals (status off, failure_reason error, should_retry false)', () => {
  const SECRET_KEY = 'sEcReT-kEy-9';
  it.each([
    ['not a start', { action: 'stop', recording_mode: 'file' }, /not a start request/],
    ['SIP mode', { recording_mode: 'sip' }, /recording_mode "sip" is not supported/],
    [
      'a SIP address, whatever the mode',
      { recording_mode: 'file', sipaddress: 'sip:alice@example.com' },
      /SIP gateway sessions are not supported/,
    ],
    ['an unknown mode', { recording_mode: 'hologram' }, /recording_mode "hologram" is not supported/],
    ['no mode', { recording_mode: undefined }, /no recording_mode/],
    ['a missing room', { recording_mode: 'file', room: undefined }, /names no room/],
    ['an empty room', { recording_mode: 'file', room: '  ' }, /names no room/],
    ['a room on another domain', { recording_mode: 'file', room: 'r@conference.elsewhere.org' }, /not on this environment's XMPP domain/],
    ['a room JID without room', { recording_mode: 'file', room: '@conference.meet.example.com' }, /not a room JID/],
    ['garbage app_data', { recording_mode: 'file', app_data: '{not json' }, /app_data is not valid JSON/],
    ['app_data not an object', { recording_mode: 'file', app_data: '[1,2]' }, /app_data must be a JSON object/],
    [
      'file_recording_metadata not an object',
      { recording_mode: 'file', app_data: '{"file_recording_metadata":"x"}' },
      /file_recording_metadata must be a JSON object/,
    ],
    [
      'a huge app_data',
      { recording_mode: 'file', app_data: `{"file_recording_metadata":{"a":"${'x'.repeat(70000)}"}}` },
      /app_data is too large/,
    ],
    ['stream mode without streamid', { recording_mode: 'stream' }, /stream mode without a streamid/],
    ['stream mode with an empty streamid', { recording_mode: 'stream', streamid: ' ' }, /stream mode without a streamid/],
    [
      'a stream host not allowed',
      { recording_mode: 'stream', streamid: `rtmp://evil.example.net/app/${SECRET_KEY}` },
      /streaming to evil\.example\.net is not allowed/,
    ],
    [
      'a stream URL without key',
      { recording_mode: 'stream', streamid: 'rtmp://live.example.com/app' },
      /must include an application and a stream key/,
    ],
    [
      'a stream to another scheme',
      { recording_mode: 'stream', streamid: `https://live.example.com/app/${SECRET_KEY}` },
      /must be an rtmp:\/\/ or rtmps:\/\/ URL or a YouTube stream key/,
    ],
    ['a key with impossible characters', { recording_mode: 'stream', streamid: `${SECRET_KEY} x` }, /characters a key cannot have/],
  ])('%s', (_what, attrs, message) => {
    const r = start(attrs as JibriIqAttrs);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.refusal).toEqual({ failureReason: 'error', shouldRetry: false, message: expect.stringMatching(message) });
    expect(r.refusal.message).not.toContain(SECRET_KEY);
  });

  it('shows an unknown mode only as a short, printable text', () => {
    const r = start({ recording_mode: `<x>${'y'.repeat(100)}` });
    expect(!r.ok && r.refusal.message).toMatch(/^recording_mode "\?x\?y{29}…" is not supported$/);
  });
});

describe('jibriIqAction', () => {
  it.each([
    [{ action: 'start' }, 'start'],
    [{ action: 'Stop' }, 'stop'],
    [{ action: 'pause' }, null],
    [{}, null],
  ])('%o → %s', (attrs, expected) => {
    expect(jibriIqAction(attrs)).toBe(expected);
  });
});
