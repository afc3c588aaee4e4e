import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { BlockedAddressError, blockedLiteralHost, guardedLookup, type ResolveAll } from '../../../src/webhooks/ssrf-guard.ts';

const resolver =
  (answers: Record<string, LookupAddress[] | NodeJS.ErrnoException>): ResolveAll =>
  (hostname, _options, callback) => {
    const a = answers[hostname];
    if (a === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    else if (a instanceof Error) callback(a, []);
    else callback(null, a);
  };

function run(lookup: ReturnType<typeof guardedLookup>, host: string, options: LookupOptions) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) =>
    lookup(host, options, (err, address, family) => resolve({ err, address, family })),
  );
}

const answers = {
  'hooks.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ],
  localhost: [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ],
  'rebind.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '10.0.0.5', family: 4 },
  ],
  'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
  'mapped.example.com': [{ address: '::ffff:192.168.0.1', family: 6 }],
  'empty.example.com': [],
};

describe('guardedLookup', () => {
  const lookup = guardedLookup(resolver(answers));

  it('passes public names through, in the single-address shape', async () => {
    expect(await run(lookup, 'hooks.example.com', {})).toEqual({ err: null, address: '93.184.215.14', family: 4 });
  });

  it('passes public names through, in the all-addresses shape (autoSelectFamily)', async () => {
    const out = await run(lookup, 'hooks.example.com', { all: true });
    expect(out.err).toBeNull();
    expect(out.address).toEqual(answers['hooks.example.com']);
  });

  it.each([
    ['localhost', '127.0.0.1', 'loopback'],
    ['rebind.example.com', '10.0.0.5', 'private'],
    ['metadata.example.com', '169.254.169.254', 'link-local'],
    ['mapped.example.com', '::ffff:192.168.0.1', 'private'],
  ])('refuses %s (one non-public address is enough)', async (host, address, cls) => {
    for (const options of [{}, { all: true }] as const) {
      const out = await run(lookup, host, options);
      expect(out.err).toBeInstanceOf(BlockedAddressError);
      expect(out.err).toMatchObject({ code: 'ERR_WEBHOOK_BLOCKED_ADDRESS', host, address, addressClass: cls });
      expect(out.err?.message).toContain('webhooks.allowPrivateAddresses');
    }
  });

  it('passes resolver errors on, and treats an empty answer as not found', async () => {
    expect((await run(lookup, 'nowhere.example.com', {})).err?.code).toBe('ENOTFOUND');
    expect((await run(lookup, 'empty.example.com', {})).err?.code).toBe('ENOTFOUND');
  });
});

describe('blockedLiteralHost', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['[fd00::1]', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
  ])('refuses %s', (host, cls) => {
    expect(blockedLiteralHost(host)).toMatchObject({ addressClass: cls });
  });

  it.each(['8.8.8.8', '[2606:4700:4700::1111]', 'example.com', 'localhost'])('lets %s through (names are judged at lookup)', (host) => {
    expect(blockedLiteralHost(host)).toBeNull();
  });

  it('URL parsing normalizes exotic IPv4 spellings before the check', () => {
    for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/']) {
      expect(blockedLiteralHost(new URL(url).hostname)).toMatchObject({ address: '127.0.0.1', addressClass: 'loopback' });
    }
  });
});
