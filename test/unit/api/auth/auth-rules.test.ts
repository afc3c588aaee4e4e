import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../../src/api/auth/auth-error.ts';
import {
  authorizeRead,
  authorizeStart,
  authorizeStop,
  authTargetOf,
  bearerToken,
  initiatorOf,
  type AuthTarget,
} from '../../../../src/api/auth/auth-rules.ts';
import { toVerifiedToken, type VerifiedToken } from '../../../../src/api/auth/verified-token.ts';
import type { JobKind } from '../../../../src/domain/job-request.ts';
import { claims, type Claims } from '../../../helpers/jwt.ts';

const plain: AuthTarget = { room: 'MyRoom', tenant: null, host: 'meet.example.com' };
const tenanted: AuthTarget = { room: 'MyRoom', tenant: 'acme', host: 'meet.example.com' };

const token = (overrides: Claims = {}): VerifiedToken => toVerifiedToken(claims(overrides));
const user = (u: Claims, features?: Claims): Claims => ({ context: { user: u, ...(features === undefined ? {} : { features }) } });
const moderator = user({ id: 'm', moderator: true });
const participant = user({ id: 'p', moderator: false });

/** The code of the AuthError `fn` throws, or 'ok'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    expect(err.status).toBe(403);
    return err.code;
  }
}

describe('room and sub', () => {
  it.each([
    ['the same room', { room: 'myroom' }, plain, 'ok'],
    ['the room in other case', { room: 'MYROOM' }, plain, 'ok'],
    ["room '*'", { room: '*' }, plain, 'ok'],
    ['another room', { room: 'otherroom' }, plain, 'wrong_room'],
    ['sub = the host', { sub: 'meet.example.com' }, plain, 'ok'],
    ['sub = the host in other case', { sub: 'Meet.Example.COM' }, plain, 'ok'],
    ["sub '*'", { sub: '*' }, plain, 'ok'],
    ['sub = another host', { sub: 'meet.other.com' }, plain, 'wrong_tenant'],
    ['sub = the XMPP domain of a Docker setup', { sub: 'meet.jitsi' }, plain, 'wrong_tenant'],
    ['no sub', { sub: undefined }, plain, 'wrong_tenant'],
    ['sub = the tenant', { sub: 'acme' }, tenanted, 'ok'],
    ['sub = the tenant in other case', { sub: 'ACME' }, tenanted, 'ok'],
    ["sub '*' with a tenant", { sub: '*' }, tenanted, 'ok'],
    ['sub = another tenant', { sub: 'globex' }, tenanted, 'wrong_tenant'],
    ['sub = the host when there is a tenant', { sub: 'meet.example.com' }, tenanted, 'wrong_tenant'],
    ['sub = a tenant when there is none', { sub: 'acme' }, plain, 'wrong_tenant'],
    ['no sub with a tenant', { sub: undefined }, tenanted, 'wrong_tenant'],
  ] as const)('%s → %s (start, stop and read alike)', (_name, overrides, target, expected) => {
    const t = token({ ...overrides, ...moderator });
    expect(outcome(() => authorizeStart(t, target, ['file']))).toBe(expected);
    expect(outcome(() => authorizeStop(t, target))).toBe(expected);
    expect(outcome(() => authorizeRead(t, target))).toBe(expected);
  });

  it('says which room and tenant it expected, never the token', () => {
    const t = token({ sub: 'globex', ...moderator });
    expect(() => authorizeRead(t, tenanted)).toThrow('the token\'s "sub" claim is not the tenant "acme"');
  });
});

describe('authorizeStart: modes and features', () => {
  const cases: ReadonlyArray<readonly [string, Claims, readonly JobKind[], string]> = [
    ['no features + moderator: file', moderator, ['file'], 'ok'],
    ['no features + moderator: everything', moderator, ['file', 'stream', 'transcription'], 'ok'],
    ['no features + participant', participant, ['file'], 'not_moderator'],
    ['no features + moderator "true"', user({ moderator: 'true' }), ['stream'], 'ok'],
    ['no features + no user', { context: undefined }, ['file'], 'not_moderator'],
    ['recording "true" (participant)', user({ moderator: false }, { recording: 'true' }), ['file'], 'ok'],
    ['recording true (boolean)', user({ moderator: false }, { recording: true }), ['file'], 'ok'],
    ['recording "false" (moderator)', user({ moderator: true }, { recording: 'false' }), ['file'], 'missing_feature'],
    ['features without recording (moderator)', user({ moderator: true }, { livestreaming: 'true' }), ['file'], 'missing_feature'],
    ['empty features (moderator)', user({ moderator: true }, {}), ['file'], 'missing_feature'],
    ['livestreaming for stream', user({}, { livestreaming: 'true' }), ['stream'], 'ok'],
    ['recording does not grant stream', user({}, { recording: 'true' }), ['stream'], 'missing_feature'],
    ['transcription for transcription', user({}, { transcription: 'true' }), ['transcription'], 'ok'],
    ['file + transcription, both granted', user({}, { recording: 'true', transcription: true }), ['file', 'transcription'], 'ok'],
    [
      'file + transcription, only recording',
      user({}, { recording: 'true', transcription: 'false' }),
      ['file', 'transcription'],
      'missing_feature',
    ],
  ];

  it.each(cases)('%s → %s', (_name, overrides, kinds, expected) => {
    expect(outcome(() => authorizeStart(token(overrides), plain, kinds))).toBe(expected);
  });

  it('names every missing grant', () => {
    const t = token(user({ moderator: true }, { recording: 'true' }));
    expect(() => authorizeStart(t, plain, ['file', 'stream', 'transcription'])).toThrow(
      'the token does not allow live streaming and transcription (features "livestreaming", "transcription" must be true)',
    );
  });

  it('refuses to authorize nothing (a programming error, not a 403)', () => {
    expect(() => authorizeStart(token(moderator), plain, [])).toThrow(/needs the kinds/);
  });
});

describe('authorizeStop and authorizeRead', () => {
  it.each([
    ['moderator', moderator, 'ok', 'ok'],
    ['participant', participant, 'not_moderator', 'ok'],
    ['participant with every feature', user({ moderator: false }, { recording: 'true', livestreaming: 'true' }), 'not_moderator', 'ok'],
  ] as const)('%s → stop %s, read %s', (_name, overrides, stop, read) => {
    const t = token(overrides);
    expect(outcome(() => authorizeStop(t, plain))).toBe(stop);
    expect(outcome(() => authorizeRead(t, plain))).toBe(read);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER   abc.def.ghi  ', 'abc.def.ghi'],
  ])('%j → the token', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it.each([undefined, '', '   ', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc.def.ghi', 'Bearer a b'])(
    '%j → 401 missing_token',
    (header) => {
      try {
        bearerToken(header);
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ code: 'missing_token', status: 401 });
        if (header && header.length > 8) expect((err as Error).message).not.toContain(header.slice(7));
      }
    },
  );
});

describe('helpers', () => {
  it('initiatorOf takes the user from the token', () => {
    expect(initiatorOf(token())).toEqual({ id: 'u-1', name: 'Ada', email: 'ada@example.com' });
    expect(initiatorOf(token({ context: undefined }))).toEqual({ id: null, name: null, email: null });
  });

  it('authTargetOf takes the hostname without port', () => {
    expect(authTargetOf({ baseUrl: 'https://Meet.Example.com:8443', tenant: 'acme', room: 'r', jwt: null })).toEqual({
      room: 'r',
      tenant: 'acme',
      host: 'meet.example.com',
    });
  });
});
