/**
 * RS256 tokens checked against a real ASAP key server (node:http on a free loopback port) through the
 * production fetch (fetch-pem.ts): key naming, caching, coalescing, refusals and time limits.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, createTokenVerifier, type AuthOptions, type TokenVerifier } from '../../src/api/auth/index.ts';
import { claims, mintRs, NOW_MS, rsaTestKey, type RsaTestKey } from '../helpers/jwt.ts';

const KID = 'vpaas-magic-cookie-0123456789abcdef/4f4910';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let rsa: RsaTestKey;
let server: Server;
let base: string;
/** Request paths the server saw. */
const hits: string[] = [];
/** Paths answered slowly (ms) or with an oversized body. */
const slow = new Map<string, number>();
const huge = new Set<string>();
const published = new Map<string, string>();

beforeAll(async () => {
  rsa = await rsaTestKey();
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.push(path);
    const name = path.replace(/^\/asap\//, '');
    const answer = (): void => {
      if (huge.has(name)) {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end('A'.repeat(100_000));
        return;
      }
      const pem = published.get(name);
      if (pem === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
    };
    const delay = slow.get(name);
    if (delay === undefined) answer();
    else setTimeout(answer, delay).unref();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/asap`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  hits.length = 0;
  slow.clear();
  huge.clear();
  published.clear();
  published.set(`${sha(KID)}.pem`, rsa.publicKeyPem);
});

function verifier(options: Partial<AuthOptions> = {}, keyFetchTimeoutMs?: number): TokenVerifier {
  const auth: AuthOptions = {
    algorithms: ['RS256'],
    secrets: [],
    publicKey: '',
    asapKeyServer: base,
    asapCacheSec: 3600,
    issuers: ['chat'],
    audiences: ['jitsi'],
    ...options,
  };
  return createTokenVerifier(auth, { now: () => NOW_MS, ...(keyFetchTimeoutMs === undefined ? {} : { keyFetchTimeoutMs }) });
}

const jaasClaims = () => claims({ iss: 'chat', aud: 'jitsi', sub: 'vpaas-magic-cookie-0123456789abcdef' });

async function refusal(p: Promise<unknown>): Promise<AuthError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return err as AuthError;
}

describe('ASAP key server', () => {
  it('verifies a JaaS-shaped RS256 token with the key at <server>/<sha256(kid)>.pem', async () => {
    const token = await mintRs(jaasClaims(), rsa.privateKey, { kid: KID, typ: 'JWT' });
    await expect(verifier().verify(token)).resolves.toMatchObject({
      issuer: 'chat',
      audience: ['jitsi'],
      subject: 'vpaas-magic-cookie-0123456789abcdef',
    });
    expect(hits).toEqual([`/asap/${sha(KID)}.pem`]);
  });

  it('serves the second verification from the cache', async () => {
    const v = verifier();
    const token = await mintRs(jaasClaims(), rsa.privateKey, { kid: KID });
    await v.verify(token);
    await v.verify(token);
    expect(hits).toHaveLength(1);
  });

  it('fetches once for concurrent verifications of one kid', async () => {
    slow.set(`${sha(KID)}.pem`, 100);
    const v = verifier();
    const token = await mintRs(jaasClaims(), rsa.privateKey, { kid: KID });
    await Promise.all(Array.from({ length: 5 }, () => v.verify(token)));
    expect(hits).toHaveLength(1);
  });

  it('refuses an unknown kid with 401 key_unavailable', async () => {
    const token = await mintRs(jaasClaims(), rsa.privateKey, { kid: 'vpaas-magic-cookie-0123456789abcdef/unknown' });
    const err = await refusal(verifier().verify(token));
    expect(err).toMatchObject({ code: 'key_unavailable', status: 401 });
    expect(err.message).toMatch(/has no key for this kid/);
  });

  it('refuses a token without kid with 401 missing_kid, without asking the server', async () => {
    const err = await refusal(verifier().verify(await mintRs(jaasClaims(), rsa.privateKey)));
    expect(err).toMatchObject({ code: 'missing_kid', status: 401 });
    expect(hits).toHaveLength(0);
  });

  it('never lets a kid reach the request path', async () => {
    const token = await mintRs(jaasClaims(), rsa.privateKey, { kid: '../../../etc/passwd?x=1#y' });
    expect((await refusal(verifier().verify(token))).code).toBe('key_unavailable');
    expect(hits).toEqual([`/asap/${sha('../../../etc/passwd?x=1#y')}.pem`]);
  });

  it('refuses a token signed by another key than the published one', async () => {
    const other = await rsaTestKey();
    const err = await refusal(verifier().verify(await mintRs(jaasClaims(), other.privateKey, { kid: KID })));
    expect(err.code).toBe('bad_signature');
  });

  it('gives up on a slow key server after the time limit', async () => {
    slow.set(`${sha(KID)}.pem`, 2000);
    const started = Date.now();
    const err = await refusal(verifier({}, 200).verify(await mintRs(jaasClaims(), rsa.privateKey, { kid: KID })));
    expect(err.code).toBe('key_unavailable');
    expect(err.message).toMatch(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses an oversized answer', async () => {
    huge.add(`${sha(KID)}.pem`);
    const err = await refusal(verifier().verify(await mintRs(jaasClaims(), rsa.privateKey, { kid: KID })));
    expect(err.code).toBe('key_unavailable');
  });

  it('refuses a server that is not listening', async () => {
    const v = verifier({ asapKeyServer: 'http://127.0.0.1:1/asap' });
    const err = await refusal(v.verify(await mintRs(jaasClaims(), rsa.privateKey, { kid: KID })));
    expect(err).toMatchObject({ code: 'key_unavailable', message: expect.stringMatching(/could not be reached/) });
  });

  it("stops waiting when the caller's signal aborts", async () => {
    slow.set(`${sha(KID)}.pem`, 500);
    const controller = new AbortController();
    const pending = verifier().verify(await mintRs(jaasClaims(), rsa.privateKey, { kid: KID }), controller.signal);
    setTimeout(() => controller.abort(new Error('request closed')), 50);
    await expect(pending).rejects.toThrow('request closed');
  });
});
