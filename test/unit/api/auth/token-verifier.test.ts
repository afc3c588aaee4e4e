import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthConfigError, AuthError } from '../../../../src/api/auth/auth-error.ts';
import { createTokenVerifier, type AuthOptions } from '../../../../src/api/auth/token-verifier.ts';
import type { ScribaConfig } from '../../../../src/config/config.ts';
import {
  claims,
  mintHmacRaw,
  mintHs,
  mintRs,
  mintRsaRaw,
  mintUnsigned,
  NOW_MS,
  NOW_SEC,
  rsaTestKey,
  TEST_SECRET,
  withUser,
  type RsaTestKey,
} from '../../../helpers/jwt.ts';

const base: AuthOptions = {
  algorithms: ['HS256', 'RS256'],
  secrets: [TEST_SECRET],
  publicKey: '',
  asapKeyServer: '',
  asapCacheSec: 3600,
  issuers: [],
  audiences: [],
};

let rsa: RsaTestKey;
beforeAll(async () => {
  rsa = await rsaTestKey();
});

function verifier(options: Partial<AuthOptions> = {}, nowMs = NOW_MS) {
  return createTokenVerifier({ ...base, ...options }, { now: () => nowMs });
}

/** The AuthError a verification throws (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return err as AuthError;
}

it('config.auth can be passed as AuthOptions', () => {
  const fromConfig: AuthOptions = {} as ScribaConfig['auth'];
  expect(fromConfig).toBeDefined();
});

describe('a valid HS256 moderator token', () => {
  it('verifies into the normalized claims', async () => {
    const token = await mintHs(claims());
    const verified = await verifier().verify(token);
    expect(verified).toEqual({
      issuer: 'scriba-tests',
      audience: ['jitsi'],
      subject: 'meet.example.com',
      room: 'myroom',
      user: { id: 'u-1', name: 'Ada', email: 'ada@example.com', avatar: null, moderator: true, hiddenFromRecorder: false },
      group: null,
      features: null,
      expiresAtMs: (NOW_SEC + 3600) * 1000,
    });
  });

  it.each(['HS384', 'HS512'] as const)('%s verifies when configured', async (alg) => {
    const token = await mintHs(claims(), TEST_SECRET, alg);
    await expect(verifier({ algorithms: [alg] }).verify(token)).resolves.toMatchObject({ room: 'myroom' });
  });
});

describe('refusals (401)', () => {
  const cases: ReadonlyArray<readonly [string, (k: RsaTestKey) => Promise<string> | string, Partial<AuthOptions>, string]> = [
    ['alg none', () => mintUnsigned(claims()), {}, 'unsupported_algorithm'],
    ['alg NONE', () => mintUnsigned(claims(), { alg: 'NONE' }), {}, 'unsupported_algorithm'],
    ['alg none with a signature part', () => `${mintUnsigned(claims())}c2ln`, {}, 'unsupported_algorithm'],
    ['no alg', () => mintUnsigned(claims(), { typ: 'JWT' }), {}, 'unsupported_algorithm'],
    ['HS384 when only HS256 is configured', () => mintHs(claims(), TEST_SECRET, 'HS384'), {}, 'unsupported_algorithm'],
    ['RS256 when only HS256 is configured', (k) => mintRs(claims(), k.privateKey), { algorithms: ['HS256'] }, 'unsupported_algorithm'],
    ['RS256 when no public key or key server is configured', (k) => mintRs(claims(), k.privateKey), {}, 'unsupported_algorithm'],
    ['ES256 (never accepted)', () => mintHmacRaw(claims(), { alg: 'ES256' }, TEST_SECRET), {}, 'unsupported_algorithm'],
    ['expired', () => mintHs(claims({ exp: NOW_SEC - 1 })), {}, 'token_expired'],
    ['expiring this very second (no leeway)', () => mintHs(claims({ exp: NOW_SEC })), {}, 'token_expired'],
    ['not yet valid', () => mintHs(claims({ nbf: NOW_SEC + 1 })), {}, 'token_not_yet_valid'],
    ['wrong secret', () => mintHs(claims(), 'another-secret-0123456789abcdef0123'), {}, 'bad_signature'],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await mintHs(claims())).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claims({ room: '*' }))).toString('base64url')}.${s}`;
      },
      {},
      'bad_signature',
    ],
    ['wrong issuer', () => mintHs(claims({ iss: 'someone-else' })), { issuers: ['scriba-tests-2'] }, 'wrong_issuer'],
    ['wrong audience', () => mintHs(claims({ aud: 'other' })), { audiences: ['jitsi'] }, 'wrong_audience'],
    ['no audience when audiences are configured', () => mintHs(claims({ aud: undefined })), { audiences: ['jitsi'] }, 'wrong_audience'],
    ['missing exp', () => mintHs(claims({ exp: undefined })), {}, 'invalid_token'],
    ['exp as a string', () => mintHs(claims({ exp: String(NOW_SEC + 60) })), {}, 'invalid_token'],
    ['nbf as a string', () => mintHs(claims({ nbf: 'yesterday' })), {}, 'invalid_token'],
    ['missing iss', () => mintHs(claims({ iss: undefined })), {}, 'invalid_token'],
    ['missing room', () => mintHs(claims({ room: undefined })), {}, 'invalid_token'],
    ['room of the wrong type', () => mintHs(claims({ room: 5 })), {}, 'invalid_token'],
    ['moderator of the wrong type', () => mintHs(withUser({ moderator: 'yes' })), {}, 'invalid_token'],
    ['features of the wrong type', () => mintHs(claims({ context: { features: ['recording'] } })), {}, 'invalid_token'],
    ['payload not an object', () => mintHmacRaw([1, 2] as never, { alg: 'HS256' }, TEST_SECRET), {}, 'invalid_token'],
    ['one part', () => 'abc', {}, 'invalid_token'],
    ['two parts', () => 'abc.def', {}, 'invalid_token'],
    ['five parts (JWE)', () => 'a.b.c.d.e', {}, 'invalid_token'],
    ['header not JSON', () => `${Buffer.from('nope').toString('base64url')}.e30.c2ln`, {}, 'invalid_token'],
    ['characters outside base64url', () => 'ey$.ey.sig', {}, 'invalid_token'],
    ['empty token', () => '', {}, 'missing_token'],
  ];

  it.each(cases.map(([name, mint, options, code]) => [`${name} → ${code}`, mint, options, code] as const))(
    '%s',
    async (_name, mint, options, code) => {
      const token = await mint(rsa);
      const err = await refusal(verifier(options).verify(token));
      expect(err.code).toBe(code);
      expect(err.status).toBe(401);
      if (token.length > 10) expect(err.message).not.toContain(token);
      expect(err.message).not.toContain(TEST_SECRET);
    },
  );
});

describe('algorithm confusion', () => {
  it('refuses an HS256 token whose HMAC key is the RSA public key PEM', async () => {
    const token = mintHmacRaw(claims(), { alg: 'HS256', typ: 'JWT' }, rsa.publicKeyPem);
    const both = verifier({ publicKey: rsa.publicKeyPem });
    expect((await refusal(both.verify(token))).code).toBe('bad_signature');
    const rsOnly = verifier({ algorithms: ['RS256'], secrets: [], publicKey: rsa.publicKeyPem });
    expect((await refusal(rsOnly.verify(token))).code).toBe('unsupported_algorithm');
  });

  it('refuses an RS256 header over an HMAC signature made with the shared secret', async () => {
    const token = mintHmacRaw(claims(), { alg: 'RS256', typ: 'JWT' }, TEST_SECRET);
    expect((await refusal(verifier({ publicKey: rsa.publicKeyPem }).verify(token))).code).toBe('bad_signature');
  });

  it('refuses an HS256 header over a genuine RSA signature', async () => {
    const token = mintRsaRaw(claims(), { alg: 'HS256', typ: 'JWT' }, rsa.privateKey);
    expect((await refusal(verifier({ publicKey: rsa.publicKeyPem }).verify(token))).code).toBe('bad_signature');
  });
});

describe('keys', () => {
  it('verifies RS256 with the configured public key, ignoring kid when there is no key server', async () => {
    const v = verifier({ publicKey: rsa.publicKeyPem });
    await expect(v.verify(await mintRs(claims(), rsa.privateKey))).resolves.toMatchObject({ issuer: 'scriba-tests' });
    await expect(v.verify(await mintRs(claims(), rsa.privateKey, { kid: 'any/key' }))).resolves.toMatchObject({ room: 'myroom' });
  });

  it('refuses RS256 signed by another key', async () => {
    const other = await rsaTestKey();
    const err = await refusal(verifier({ publicKey: rsa.publicKeyPem }).verify(await mintRs(claims(), other.privateKey)));
    expect(err.code).toBe('bad_signature');
  });

  it('accepts every secret during a rotation', async () => {
    const v = verifier({ secrets: ['old-secret-0123456789abcdef0123456789', TEST_SECRET] });
    await expect(v.verify(await mintHs(claims()))).resolves.toMatchObject({ room: 'myroom' });
    await expect(v.verify(await mintHs(claims(), 'old-secret-0123456789abcdef0123456789'))).resolves.toMatchObject({ room: 'myroom' });
  });

  it('reports a wrong claim only once the signature matched (an expired token with a bad signature is a bad signature)', async () => {
    const token = await mintHs(claims({ exp: NOW_SEC - 10 }), 'not-the-secret-0123456789abcdef012');
    expect((await refusal(verifier().verify(token))).code).toBe('bad_signature');
  });
});

describe('times, issuers and audiences', () => {
  it('follows the injected clock, with no leeway', async () => {
    const token = await mintHs(claims({ nbf: NOW_SEC + 100, exp: NOW_SEC + 200 }));
    expect((await refusal(verifier({}, (NOW_SEC + 99) * 1000).verify(token))).code).toBe('token_not_yet_valid');
    await expect(verifier({}, (NOW_SEC + 100) * 1000).verify(token)).resolves.toBeDefined();
    await expect(verifier({}, (NOW_SEC + 199) * 1000 + 999).verify(token)).resolves.toBeDefined();
    expect((await refusal(verifier({}, (NOW_SEC + 200) * 1000).verify(token))).code).toBe('token_expired');
  });

  it.each([[{ issuers: ['scriba-tests'] }], [{ issuers: ['*'] }], [{ audiences: ['other', 'jitsi'] }], [{ audiences: ['*'] }]] as const)(
    'accepts with %o',
    async (options) => {
      await expect(verifier(options).verify(await mintHs(claims()))).resolves.toBeDefined();
    },
  );

  it('matches any of several audiences in the token', async () => {
    const token = await mintHs(claims({ aud: ['other', 'jitsi'] }));
    await expect(verifier({ audiences: ['jitsi'] }).verify(token)).resolves.toMatchObject({ audience: ['other', 'jitsi'] });
  });
});

describe('configuration', () => {
  it('keeps only the algorithms that have a key', () => {
    expect(verifier().algorithms).toEqual(['HS256']);
    expect(verifier({ secrets: [], publicKey: rsa.publicKeyPem }).algorithms).toEqual(['RS256']);
  });

  it.each([
    ['no key at all', { secrets: [], publicKey: '' }, /none of auth.algorithms/],
    ['only empty secrets', { algorithms: ['HS256'], secrets: [''] }, /none of auth.algorithms/],
    ['a public key that is not PEM', { publicKey: 'not a key' }, /auth.publicKey: it is not a PEM public key/],
    ['a key server that is not http(s)', { asapKeyServer: 'ftp://keys.example.com' }, /http:\/\/ or https:\/\//],
    ['a key server with a query', { asapKeyServer: 'https://keys.example.com/?x=1' }, /without credentials, query or fragment/],
  ] as const)('refuses %s', (_name, options, message) => {
    expect(() => verifier(options as Partial<AuthOptions>)).toThrow(AuthConfigError);
    expect(() => verifier(options as Partial<AuthOptions>)).toThrow(message);
  });

  it('refuses a private key, an EC key and a short RSA key as auth.publicKey', () => {
    const pem = (type: 'rsa' | 'ec', bits?: number) => {
      const pair =
        type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits ?? 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return pair;
    };
    const rsaPair = pem('rsa');
    expect(() => verifier({ publicKey: rsaPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })).toThrow(
      /not a PEM public key/,
    );
    expect(() => verifier({ publicKey: pem('ec').publicKey.export({ type: 'spki', format: 'pem' }) as string })).toThrow(
      /RS256 needs an RSA key/,
    );
    expect(() => verifier({ publicKey: pem('rsa', 1024).publicKey.export({ type: 'spki', format: 'pem' }) as string })).toThrow(
      /at least 2048/,
    );
  });
});

describe('signals', () => {
  it('rejects with the abort reason when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(verifier().verify(await mintHs(claims()), controller.signal)).rejects.toThrow('client went away');
  });
});
