import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import { meetingTargetFromRoomJid } from '../../../src/xmpp/room-jid.ts';
import type { XmppEnvironment } from '../../../src/xmpp/xmpp-environment.ts';

const debian: XmppEnvironment = {
  name: 'debian',
  xmppServerHosts: ['meet.example.com'],
  xmppDomain: 'meet.example.com',
  baseUrl: 'https://meet.example.com',
  controlLogin: { domain: 'auth.meet.example.com', username: 'jibri', password: 'pw', port: 5222 },
  controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery', nickname: 'n' },
  callLogin: { domain: 'recorder.meet.example.com', username: 'recorder', password: 'pw2' },
  stripFromRoomDomain: 'conference.',
  usageTimeoutSec: 0,
  trustAllXmppCerts: false,
};
const docker: XmppEnvironment = {
  ...debian,
  name: 'docker',
  xmppDomain: 'meet.jitsi',
  baseUrl: 'https://meet.example.org',
  stripFromRoomDomain: 'muc.',
};

const url = (t: { baseUrl: string; tenant: string | null; room: string }) => `${t.baseUrl}${t.tenant ? `/${t.tenant}` : ''}/${t.room}`;

describe('meetingTargetFromRoomJid', () => {
  it.each([
    ['no tenant', 'myroom@conference.meet.example.com', debian, 'https://meet.example.com/myroom'],
    ['a tenant', 'myroom@conference.acme.meet.example.com', debian, 'https://meet.example.com/acme/myroom'],
    ['docker: muc. stripped', 'myroom@muc.meet.jitsi', docker, 'https://meet.example.org/myroom'],
    ['docker: a tenant', 'myroom@muc.acme.meet.jitsi', docker, 'https://meet.example.org/acme/myroom'],
    ['an upper-case domain', 'myroom@CONFERENCE.Meet.Example.COM', debian, 'https://meet.example.com/myroom'],
    ['an upper-case room is kept as Jicofo sent it', 'MyRoom@conference.meet.example.com', debian, 'https://meet.example.com/MyRoom'],
    ['a trailing dot on the domain', 'myroom@conference.meet.example.com.', debian, 'https://meet.example.com/myroom'],
    ['spaces around', '  myroom@conference.meet.example.com ', debian, 'https://meet.example.com/myroom'],
    ['nothing to strip', 'myroom@meet.example.com', debian, 'https://meet.example.com/myroom'],
    [
      'strip without its dot',
      'myroom@conference.meet.example.com',
      { ...debian, stripFromRoomDomain: 'conference' },
      'https://meet.example.com/myroom',
    ],
    [
      'an empty strip keeps the MUC label as a tenant (Jibri does the same)',
      'myroom@conference.meet.example.com',
      { ...debian, stripFromRoomDomain: '' },
      'https://meet.example.com/conference/myroom',
    ],
    [
      'a base URL with a path prefix',
      'myroom@conference.acme.meet.example.com',
      { ...debian, baseUrl: 'https://example.com/meet' },
      'https://example.com/meet/acme/myroom',
    ],
    [
      'an http base URL from the operator',
      'myroom@conference.meet.example.com',
      { ...debian, baseUrl: 'http://127.0.0.1:8080' },
      'http://127.0.0.1:8080/myroom',
    ],
  ])('%s', (_what, jid, env, expected) => {
    const target = meetingTargetFromRoomJid(jid, env);
    expect(target.jwt).toBeNull();
    expect(url(target)).toBe(expected);
  });

  it('decodes the percent-encoded room name Meet puts into the local part', () => {
    expect(meetingTargetFromRoomJid('caf%c3%a9%20time@conference.meet.example.com', debian)).toEqual({
      baseUrl: 'https://meet.example.com',
      tenant: null,
      room: 'café time',
      jwt: null,
    });
    expect(meetingTargetFromRoomJid('100%@conference.meet.example.com', debian).room).toBe('100%');
  });

  it.each([
    ['no @', 'conference.meet.example.com', /not a room JID/],
    ['a missing room', '@conference.meet.example.com', /not a room JID/],
    ['no domain', 'myroom@', /no domain/],
    ['a resource', 'myroom@conference.meet.example.com/focus', /resource/],
    ['another XMPP domain', 'myroom@conference.other.example.net', /not on this environment's XMPP domain meet\.example\.com/],
    ['a look-alike domain', 'myroom@conference.evilmeet.example.com', /not on this environment's XMPP domain/],
    ['a room with a slash (encoded)', 'a%2fb@conference.meet.example.com', /must not contain '\/'/],
    ['a room of dots', '..@conference.meet.example.com', /'\.\.'/],
    ['a control character', 'a%0ab@conference.meet.example.com', /control characters/],
    ['a tenant of dots', 'myroom@conference.a..b.meet.example.com', /'\.\.'/],
    ['too long', `${'a'.repeat(2000)}@conference.meet.example.com`, /too long/],
  ])('refuses %s', (_what, jid, message) => {
    const err = (() => {
      try {
        meetingTargetFromRoomJid(jid, debian);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ScribaError);
    expect((err as ScribaError).code).toBe('invalid_request');
    expect((err as ScribaError).retryable).toBe(false);
    expect((err as Error).message).toMatch(message);
  });
});
