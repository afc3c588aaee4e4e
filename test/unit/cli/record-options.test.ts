import { describe, expect, it } from 'vitest';
import { buildRecordingRequest, isLoopbackUrl, recordConfigOverrides } from '../../../src/cli/record-options.ts';
import { loadConfig } from '../../../src/config/config.ts';
import type { RecordingRequest } from '../../../src/session/session-types.ts';

const config = loadConfig({ env: {} });

const streamUrl = (req: RecordingRequest) => req.outputs.find((o) => o.kind === 'stream')?.url;

describe('scriba record flags', () => {
  it('turns flags into config overrides', () => {
    expect(
      recordConfigOverrides({ out: '/rec', 'max-duration': '15', 'empty-call-timeout': '5', 'check-interval': '1', 'log-level': 'warn' }),
    ).toEqual({
      recordingsDir: '/rec',
      logLevel: 'warn',
      checks: { maxDurationSec: 15, emptyCallTimeoutSec: 5, intervalSec: 1 },
    });
  });
  it.each(['0', '-3', 'soon', ''])('rejects a bad duration "%s"', (v) => {
    expect(() => recordConfigOverrides({ 'max-duration': v })).toThrow(/--max-duration must be a positive number/);
  });
  it('builds a request: room, tenant, jwt and extra query apart; login from config', () => {
    const withLogin = loadConfig({
      env: { SCRIBA_XMPP_DOMAIN: 'recorder.meet.example.com', SCRIBA_XMPP_USERNAME: 'rec', SCRIBA_XMPP_PASSWORD: 'pw' },
    });
    const req = buildRecordingRequest({ url: 'https://meet.example.com/acme/Standup?jwt=abc', resolution: '1080p' }, withLogin, 's1');
    expect(req).toMatchObject({
      sessionId: 's1',
      target: { baseUrl: 'https://meet.example.com', tenant: 'acme', room: 'Standup', jwt: 'abc' },
      login: {
        domain: 'recorder.meet.example.com',
        username: 'rec',
        password: 'pw',
        randomSuffix: expect.stringMatching(/^-[0-9a-f]{8}$/),
      },
      resolution: '1080p',
      maxDurationSec: 21600,
    });
  });
  it('gives each session its own login suffix, stable for that session', () => {
    const withLogin = loadConfig({ env: { SCRIBA_XMPP_DOMAIN: 'r.example.com', SCRIBA_XMPP_USERNAME: 'rec', SCRIBA_XMPP_PASSWORD: 'pw' } });
    const url = { url: 'https://meet.example.com/r' };
    const a = buildRecordingRequest(url, withLogin, 'a').login!.randomSuffix;
    expect(buildRecordingRequest(url, withLogin, 'a').login!.randomSuffix).toBe(a);
    expect(buildRecordingRequest(url, withLogin, 'b').login!.randomSuffix).not.toBe(a);
  });

  it('allows plain http only for loopback unless configured', () => {
    expect(isLoopbackUrl('http://127.0.0.1:8080/r')).toBe(true);
    expect(isLoopbackUrl('http://meet.example.com/r')).toBe(false);
    expect(() => buildRecordingRequest({ url: 'http://meet.example.com/r' }, config, 's')).toThrow(/https/);
    expect(buildRecordingRequest({ url: 'http://127.0.0.1:9/r' }, config, 's').target.room).toBe('r');
  });
  it.each([
    [{}, /missing --url/],
    [{ url: 'https://m.example/r', resolution: '4k' }, /--resolution must be 720p or 1080p/],
    [{ url: 'file:///etc/passwd' }, /must use https/],
    [{ url: 'javascript:alert(1)' }, /must use https/],
    [{ url: 'https://m.example/a/../b' }, /\.\./],
  ])('rejects %o with a clear message', (flags, message) => {
    expect(() => buildRecordingRequest(flags, config, 's')).toThrow(message);
  });

  describe('--stream and --no-file', () => {
    const url = 'https://meet.example.com/r';
    it('records a file by default and streams nothing', () => {
      expect(buildRecordingRequest({ url }, config, 's')).toMatchObject({ outputs: [{ kind: 'file', resolution: '720p' }] });
    });
    it('a YouTube key becomes the YouTube ingest URL (allowed by default); the broadcast id is kept', () => {
      expect(
        buildRecordingRequest({ url, stream: 'abcd-efgh-ijkl-mnop', 'youtube-broadcast-id': 'dQw4w9WgXcQ' }, config, 's'),
      ).toMatchObject({
        outputs: [
          { kind: 'file' },
          { kind: 'stream', url: 'rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop', youtubeBroadcastId: 'dQw4w9WgXcQ' },
        ],
      });
    });
    it('stream only with --no-file; --no-file alone is refused', () => {
      expect(buildRecordingRequest({ url, stream: 'k3y', file: false }, config, 's')).toMatchObject({
        outputs: [{ kind: 'stream', url: 'rtmp://a.rtmp.youtube.com/live2/k3y' }],
      });
      expect(() => buildRecordingRequest({ url, file: false }, config, 's')).toThrow(/--no-file needs --stream/);
    });
    it('loopback RTMP servers are allowed from the CLI (local testing); other hosts only through the allow-list', () => {
      expect(streamUrl(buildRecordingRequest({ url, stream: 'rtmp://127.0.0.1:1935/live/k' }, config, 's'))).toBe(
        'rtmp://127.0.0.1:1935/live/k',
      );
      expect(streamUrl(buildRecordingRequest({ url, stream: 'rtmp://localhost/live/k' }, config, 's'))).toBe('rtmp://localhost/live/k');
      expect(() => buildRecordingRequest({ url, stream: 'rtmp://live.example.com/app/s3cr3t' }, config, 's')).toThrow(
        /streaming to live\.example\.com is not allowed/,
      );
      const allowing = loadConfig({ env: { SCRIBA_ALLOWED_STREAM_HOSTS: '*.example.com' } });
      expect(streamUrl(buildRecordingRequest({ url, stream: 'rtmps://live.example.com/app/k' }, allowing, 's'))).toBe(
        'rtmps://live.example.com/app/k',
      );
    });
    it.each([
      [{ stream: 'rtmp://127.0.0.1/k' }, /application and a stream key/],
      [{ stream: 'http://127.0.0.1/live/k' }, /rtmp:\/\/ or rtmps:\/\/ URL or a YouTube stream key/],
      [{ stream: 'has space' }, /characters a key cannot have/],
      [{ 'youtube-broadcast-id': 'b1' }, /--youtube-broadcast-id needs --stream/],
      [{ stream: 'k3y', 'youtube-broadcast-id': 'no/slash' }, /not a YouTube broadcast id/],
    ])('rejects %o', (flags, message) => {
      expect(() => buildRecordingRequest({ url, ...flags }, config, 's')).toThrow(message);
    });
    it('errors never repeat the key', () => {
      expect(() => buildRecordingRequest({ url, stream: 'rtmp://evil.example.org/live/s3cr3t' }, config, 's')).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('s3cr3t') }),
      );
    });
  });
});
