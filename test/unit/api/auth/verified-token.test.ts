import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../../src/api/auth/auth-error.ts';
import { toVerifiedToken } from '../../../../src/api/auth/verified-token.ts';
import { claims, NOW_SEC } from '../../../helpers/jwt.ts';

function refusal(payload: unknown): AuthError {
  try {
    toVerifiedToken(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error('expected a refusal');
}

describe('toVerifiedToken', () => {
  it('normalizes features written as strings or booleans', () => {
    const t = toVerifiedToken(
      claims({
        context: { features: { recording: 'true', livestreaming: 'false', transcription: true, 'outbound-call': false, flip: 'TRUE' } },
      }),
    );
    expect(t.features).toEqual({ recording: true, livestreaming: false, transcription: true, 'outbound-call': false, flip: true });
    expect(Object.isFrozen(t.features)).toBe(true);
  });

  it('tells "no features at all" (null) from "empty features" ({})', () => {
    expect(toVerifiedToken(claims()).features).toBeNull();
    expect(toVerifiedToken(claims({ context: { features: null } })).features).toBeNull();
    expect(toVerifiedToken(claims({ context: { features: {} } })).features).toEqual({});
  });

  it('reads the user, group and flags', () => {
    const t = toVerifiedToken(
      claims({
        aud: ['jitsi', 'scriba'],
        sub: undefined,
        context: {
          group: 'team-a',
          user: { id: 42, name: '', email: null, avatar: 'https://a.example/x.png', moderator: 'true', 'hidden-from-recorder': 'true' },
        },
      }),
    );
    expect(t).toMatchObject({
      audience: ['jitsi', 'scriba'],
      subject: null,
      group: 'team-a',
      user: { id: '42', name: null, email: null, avatar: 'https://a.example/x.png', moderator: true, hiddenFromRecorder: true },
    });
  });

  it('defaults a token without context to a non-moderator with no identity', () => {
    const t = toVerifiedToken(claims({ context: undefined, aud: undefined }));
    expect(t.user).toEqual({ id: null, name: null, email: null, avatar: null, moderator: false, hiddenFromRecorder: false });
    expect(t.audience).toEqual([]);
    expect(t.expiresAtMs).toBe((NOW_SEC + 3600) * 1000);
  });

  it.each([
    ['iss missing', claims({ iss: undefined }), /no "iss" claim/],
    ['iss empty', claims({ iss: '' }), /"iss" claim is empty/],
    ['room missing', claims({ room: undefined }), /no "room" claim/],
    ['room a number', claims({ room: 7 }), /"room" claim has the wrong type/],
    ['aud a number', claims({ aud: 1 }), /"aud" claim has the wrong type/],
    ['sub an object', claims({ sub: { a: 1 } }), /"sub" claim has the wrong type/],
    ['moderator "yes"', claims({ context: { user: { moderator: 'yes' } } }), /"context.user.moderator" claim/],
    ['hidden-from-recorder 1', claims({ context: { user: { 'hidden-from-recorder': 1 } } }), /"context.user.hidden-from-recorder" claim/],
    ['a feature 1', claims({ context: { features: { recording: 1 } } }), /"context.features.recording" claim/],
    ['features a list', claims({ context: { features: ['recording'] } }), /"context.features" claim/],
    ['user a string', claims({ context: { user: 'ada' } }), /"context.user" claim/],
    ['name an object', claims({ context: { user: { name: { first: 'A' } } } }), /"context.user.name" claim/],
    ['not an object', 'payload', /payload is not a JSON object/],
  ] as const)('refuses %s with invalid_token', (_name, payload, message) => {
    const err = refusal(payload);
    expect(err.code).toBe('invalid_token');
    expect(err.status).toBe(401);
    expect(err.message).toMatch(message);
  });
});
