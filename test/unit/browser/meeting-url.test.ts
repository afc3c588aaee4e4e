import { describe, expect, it } from 'vitest';
import { buildLocalStorageContent, buildMeetingUrl, type RecorderIdentity, type RecorderLogin } from '../../../src/browser/meeting-url.ts';
import { parseMeetingUrl, type MeetingTarget } from '../../../src/domain/meeting-target.ts';

const FLAGS =
  'config.iAmRecorder=true' +
  '&config.externalConnectUrl=null' +
  '&config.startWithAudioMuted=true' +
  '&config.startWithVideoMuted=true' +
  '&config.disableInitialGUM=true' +
  '&config.p2p.enabled=false' +
  '&config.prejoinConfig.enabled=false' +
  '&config.requireDisplayName=false' +
  '&config.analytics.disabled=true' +
  '&config.deeplinking.disabled=true' +
  '&interfaceConfig.APP_NAME=%22Jibri%22' +
  '&config.useHostPageLocalStorage=true';

const login: RecorderLogin = {
  domain: 'recorder.meet.example.com',
  username: 'recorder',
  password: 'p@ss&w=rd',
  randomSuffix: '-a1b2c3d4',
};
const identity: RecorderIdentity = { displayName: 'Recorder', email: 'recorder@example.com' };
const plain: MeetingTarget = { baseUrl: 'https://meet.example.com', tenant: null, room: 'weekly', jwt: null };

/** Jitsi Meet's parseURLParams, reduced: split on & and =, URI-decode, JSON-parse. */
function parseHash(url: string): Record<string, unknown> {
  const hash = url.slice(url.indexOf('#') + 1);
  const out: Record<string, unknown> = {};
  for (const part of hash.split('&')) {
    const [key, value] = part.split('=');
    out[key ?? ''] = JSON.parse(decodeURIComponent(value ?? ''));
  }
  return out;
}

describe('buildLocalStorageContent', () => {
  it('carries login, identity and call stats name, in a fixed key order', () => {
    const content = buildLocalStorageContent(login, identity, null);
    expect(content).toEqual({
      xmpp_username_override: 'recorder-a1b2c3d4@recorder.meet.example.com',
      xmpp_password_override: 'p@ss&w=rd',
      displayname: 'Recorder',
      email: 'recorder@example.com',
      callStatsUserName: 'Recorder',
    });
    expect(Object.keys(content)).toEqual(['xmpp_username_override', 'xmpp_password_override', 'displayname', 'email', 'callStatsUserName']);
  });

  it('adds the conference password only when a room password is given', () => {
    const content = buildLocalStorageContent({ ...login, randomSuffix: null }, identity, 's3cret');
    expect(content).toEqual({
      xmpp_username_override: 'recorder@recorder.meet.example.com',
      xmpp_password_override: 'p@ss&w=rd',
      xmpp_conference_password_override: 's3cret',
      displayname: 'Recorder',
      email: 'recorder@example.com',
      callStatsUserName: 'Recorder',
    });
    expect(Object.keys(content)[2]).toBe('xmpp_conference_password_override');
    expect(buildLocalStorageContent(login, identity, '')).not.toHaveProperty('xmpp_conference_password_override');
  });

  it('has no XMPP keys without a login', () => {
    expect(buildLocalStorageContent(null, identity, null)).toEqual({
      displayname: 'Recorder',
      email: 'recorder@example.com',
      callStatsUserName: 'Recorder',
    });
    expect(buildLocalStorageContent(null, identity, 'pw')).toEqual({
      xmpp_conference_password_override: 'pw',
      displayname: 'Recorder',
      email: 'recorder@example.com',
      callStatsUserName: 'Recorder',
    });
  });
});

describe('buildMeetingUrl', () => {
  it('no tenant, no jwt, no login, no password: flags only', () => {
    expect(buildMeetingUrl(plain, null, identity, null)).toBe(`https://meet.example.com/weekly#${FLAGS}`);
  });

  it('with a login: the local storage parameter comes last', () => {
    expect(buildMeetingUrl(plain, login, identity, null)).toBe(
      `https://meet.example.com/weekly#${FLAGS}` +
        '&appData.localStorageContent=' +
        '%7B%22xmpp_username_override%22%3A%22recorder-a1b2c3d4%40recorder.meet.example.com%22' +
        '%2C%22xmpp_password_override%22%3A%22p%40ss%26w%3Drd%22' +
        '%2C%22displayname%22%3A%22Recorder%22' +
        '%2C%22email%22%3A%22recorder%40example.com%22' +
        '%2C%22callStatsUserName%22%3A%22Recorder%22%7D',
    );
  });

  it('with tenant, jwt, login and room password', () => {
    const target: MeetingTarget = {
      baseUrl: 'http://127.0.0.1:8080/',
      tenant: 'acme',
      room: 'Daily Stand-up',
      jwt: 'eyJ0.eyJz.c2ln',
    };
    expect(buildMeetingUrl(target, { ...login, randomSuffix: null, password: 'pw' }, identity, 'room pw')).toBe(
      `http://127.0.0.1:8080/acme/Daily%20Stand-up?jwt=eyJ0.eyJz.c2ln#${FLAGS}` +
        '&appData.localStorageContent=' +
        '%7B%22xmpp_username_override%22%3A%22recorder%40recorder.meet.example.com%22' +
        '%2C%22xmpp_password_override%22%3A%22pw%22' +
        '%2C%22xmpp_conference_password_override%22%3A%22room%20pw%22' +
        '%2C%22displayname%22%3A%22Recorder%22' +
        '%2C%22email%22%3A%22recorder%40example.com%22' +
        '%2C%22callStatsUserName%22%3A%22Recorder%22%7D',
    );
  });

  it('jwt without login: query set, no local storage parameter', () => {
    expect(buildMeetingUrl({ ...plain, tenant: 't1', jwt: 'a.b.c' }, null, identity, null)).toBe(
      `https://meet.example.com/t1/weekly?jwt=a.b.c#${FLAGS}`,
    );
  });

  it('room password without login still hands the password over', () => {
    expect(buildMeetingUrl(plain, null, { displayName: '', email: '' }, 'x')).toBe(
      `https://meet.example.com/weekly#${FLAGS}` +
        '&appData.localStorageContent=' +
        '%7B%22xmpp_conference_password_override%22%3A%22x%22%2C%22displayname%22%3A%22%22%2C%22email%22%3A%22%22%2C%22callStatsUserName%22%3A%22%22%7D',
    );
  });

  it('encodes room and tenant text so nothing escapes its path segment', () => {
    const url = buildMeetingUrl({ ...plain, tenant: 'a b', room: 'é?#&=x' }, null, identity, null);
    expect(url.startsWith('https://meet.example.com/a%20b/%C3%A9%3F%23%26%3Dx#')).toBe(true);
  });

  it('round-trips through Meet-style hash parsing', () => {
    const parsed = parseHash(buildMeetingUrl(plain, login, identity, 'pw&x=1'));
    expect(parsed).toEqual({
      'config.iAmRecorder': true,
      'config.externalConnectUrl': null,
      'config.startWithAudioMuted': true,
      'config.startWithVideoMuted': true,
      'config.disableInitialGUM': true,
      'config.p2p.enabled': false,
      'config.prejoinConfig.enabled': false,
      'config.requireDisplayName': false,
      'config.analytics.disabled': true,
      'config.deeplinking.disabled': true,
      'interfaceConfig.APP_NAME': 'Jibri',
      'config.useHostPageLocalStorage': true,
      'appData.localStorageContent': buildLocalStorageContent(login, identity, 'pw&x=1'),
    });
  });
});

describe('buildMeetingUrl from a parsed URL', () => {
  it('passes other query parameters through after the jwt', () => {
    const target = parseMeetingUrl('https://meet.example.com/r?a=1&jwt=tok&b=x%20y', false);
    expect(target).toMatchObject({ jwt: 'tok', query: 'a=1&b=x+y' });
    expect(
      buildMeetingUrl(target, null, identity, null).startsWith('https://meet.example.com/r?jwt=tok&a=1&b=x+y#config.iAmRecorder=true'),
    ).toBe(true);
  });

  it('keeps the room as decoded text and encodes it again when building', () => {
    const target = parseMeetingUrl('https://meet.example.com/R%C3%A9union%20%C3%A9quipe', false);
    expect(target.room).toBe('Réunion équipe');
    expect(buildMeetingUrl(target, null, identity, null).startsWith('https://meet.example.com/R%C3%A9union%20%C3%A9quipe#')).toBe(true);
  });
});
