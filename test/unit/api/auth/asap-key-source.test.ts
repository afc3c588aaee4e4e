import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asapKeyUrl,
  checkAsapServer,
  createAsapKeySource,
  FAILURE_CACHE_MS,
  type FetchKey,
} from '../../../../src/api/auth/asap-key-source.ts';
import { AuthConfigError, AuthError } from '../../../../src/api/auth/auth-error.ts';
import { HttpStatusError } from '../../../../src/api/auth/fetch-pem.ts';
import { rsaTestKey } from '../../../helpers/jwt.ts';

let pem: string;
beforeAll(async () => {
  pem = (await rsaTestKey()).publicKeyPem;
});

const SERVER = 'https://keys.example.com/asap/';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A fake key server: answers from `keys` (by URL), counts calls, can be held open. */
function fakeServer(keys: () => Record<string, string>) {
  const calls: string[] = [];
  let gate: Promise<void> | null = null;
  let open = (): void => undefined;
  const fetchKey: FetchKey = async (url, signal) => {
    calls.push(url);
    if (gate) await gate;
    signal.throwIfAborted();
    const body = keys()[url];
    if (body === undefined) throw new HttpStatusError(404);
    return body;
  };
  return {
    calls,
    fetchKey,
    hold() {
      gate = new Promise((resolve) => {
        open = () => {
          gate = null;
          resolve();
        };
      });
    },
    release: () => open(),
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return (err as AuthError).code;
}

describe('asapKeyUrl', () => {
  it('appends hex(sha256(kid)).pem to the server, so a kid cannot steer the path', () => {
    expect(asapKeyUrl(SERVER, 'vpaas-magic-cookie-abc/key1')).toBe(
      `https://keys.example.com/asap/${sha('vpaas-magic-cookie-abc/key1')}.pem`,
    );
    expect(asapKeyUrl('http://127.0.0.1:8080', '../../etc/passwd')).toMatch(/^http:\/\/127\.0\.0\.1:8080\/[0-9a-f]{64}\.pem$/);
  });

  it('checkAsapServer takes only plain http(s) base URLs', () => {
    expect(checkAsapServer('https://k.example.com/a/')).toBe('https://k.example.com/a');
    for (const bad of ['keys.example.com', 'file:///etc', 'https://u:p@k.example.com', 'https://k.example.com#x']) {
      expect(() => checkAsapServer(bad)).toThrow(AuthConfigError);
    }
  });
});

describe('createAsapKeySource', () => {
  const kid = 'vpaas-magic-cookie-abc/key1';

  it('fetches a key once and serves it from the cache until asapCacheSec has passed', async () => {
    let now = 0;
    const server = fakeServer(() => ({ [asapKeyUrl(SERVER, kid)]: pem }));
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: server.fetchKey, now: () => now });
    const key = await source.get(kid);
    expect(key.asymmetricKeyType).toBe('rsa');
    now = 59_999;
    await source.get(kid);
    expect(server.calls).toHaveLength(1);
    now = 60_000;
    await source.get(kid);
    expect(server.calls).toHaveLength(2);
  });

  it('shares one fetch among concurrent lookups of one kid', async () => {
    const server = fakeServer(() => ({ [asapKeyUrl(SERVER, kid)]: pem }));
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: server.fetchKey, now: () => 0 });
    server.hold();
    const lookups = Array.from({ length: 5 }, () => source.get(kid));
    server.release();
    await Promise.all(lookups);
    expect(server.calls).toHaveLength(1);
  });

  it('remembers a failure only briefly', async () => {
    let now = 0;
    let keys: Record<string, string> = {};
    const server = fakeServer(() => keys);
    const source = createAsapKeySource({ server: SERVER, cacheSec: 3600, fetchKey: server.fetchKey, now: () => now });
    expect(await code(source.get(kid))).toBe('key_unavailable');
    keys = { [asapKeyUrl(SERVER, kid)]: pem };
    now = FAILURE_CACHE_MS - 1;
    expect(await code(source.get(kid))).toBe('key_unavailable');
    expect(server.calls).toHaveLength(1);
    now = FAILURE_CACHE_MS;
    await expect(source.get(kid)).resolves.toBeDefined();
    expect(server.calls).toHaveLength(2);
  });

  it.each([
    ['no key published', () => Promise.reject(new HttpStatusError(404)), /has no key for this kid/],
    ['a server error', () => Promise.reject(new HttpStatusError(503)), /answered HTTP 503/],
    [
      'a connection error (details kept out of the message)',
      () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:443')),
      /could not be reached$/,
    ],
    ['an HTML page', () => Promise.resolve('<html>hello</html>'), /unusable: it is not a PEM public key/],
    ['a private key', () => Promise.resolve('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), /not a PEM public key/],
  ] as const)('refuses %s with key_unavailable', async (_name, answer, message) => {
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: answer, now: () => 0 });
    const err = await source.get(kid).catch((e: unknown) => e as AuthError);
    expect(err).toMatchObject({ code: 'key_unavailable', status: 401 });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('10.0.0.7');
  });

  it('gives up on a key server that does not answer in time', async () => {
    const hang: FetchKey = (_url, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: hang, now: () => 0, timeoutMs: 30 });
    await expect(source.get(kid)).rejects.toThrow(/did not answer within 30 ms/);
  });

  it("a caller's abort ends only its own wait, not the shared fetch", async () => {
    const server = fakeServer(() => ({ [asapKeyUrl(SERVER, kid)]: pem }));
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: server.fetchKey, now: () => 0 });
    server.hold();
    const controller = new AbortController();
    const first = source.get(kid, controller.signal);
    const second = source.get(kid);
    controller.abort(new Error('caller gone'));
    await expect(first).rejects.toThrow('caller gone');
    server.release();
    await expect(second).resolves.toBeDefined();
    expect(server.calls).toHaveLength(1);
  });

  it('stays bounded: old keys are dropped, and lookups beyond the bound while all are in flight are refused', async () => {
    const server = fakeServer(() => Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [asapKeyUrl(SERVER, k), pem])));
    const source = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: server.fetchKey, now: () => 0, maxEntries: 2 });
    await source.get('a');
    await source.get('b');
    await source.get('c'); // drops 'a'
    await source.get('b');
    expect(server.calls).toHaveLength(3);
    await source.get('a');
    expect(server.calls).toHaveLength(4);
    const busy = createAsapKeySource({ server: SERVER, cacheSec: 60, fetchKey: server.fetchKey, now: () => 0, maxEntries: 2 });
    server.hold();
    const inFlight = [busy.get('c'), busy.get('d')];
    expect(await code(busy.get('b'))).toBe('key_unavailable');
    server.release();
    await Promise.all(inFlight);
    await expect(busy.get('b')).resolves.toBeDefined();
  });
});
