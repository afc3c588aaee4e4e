import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/storage/http-range.ts';
import { buildLocalLink, localLinkSignature, verifyLocalLink } from '../../../src/storage/local-link.ts';

const SECRET = 's'.repeat(40);
const OLD_SECRET = 'o'.repeat(40);
const NOW = 1_700_000_000;

function parts(link: string): [string, string] {
  const u = new URL(link);
  return [u.pathname, u.search.slice(1)];
}

describe('local links (pure)', () => {
  it('builds a link that verifies until its expiry second, inclusive', () => {
    const link = buildLocalLink('https://rec.example.com/', 'sess/Room_2024.mp4', NOW + 60, SECRET);
    expect(link).toMatch(/^https:\/\/rec\.example\.com\/v1\/files\/sess\/Room_2024\.mp4\?exp=1700000060&sig=[A-Za-z0-9_-]{43}$/);
    const [path, query] = parts(link);
    expect(verifyLocalLink(path, query, SECRET, NOW)).toEqual({ ok: true, key: 'sess/Room_2024.mp4', expSec: NOW + 60 });
    expect(verifyLocalLink(path, query, SECRET, NOW + 60).ok).toBe(true);
    expect(verifyLocalLink(path, query, SECRET, NOW + 61)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keeps a base URL path (reverse proxy prefix) in the link', () => {
    expect(buildLocalLink('https://h/scriba', 'a.mp4', 1, SECRET)).toMatch(/^https:\/\/h\/scriba\/v1\/files\/a\.mp4\?/);
  });

  it('refuses tampering with the signature, key, expiry or secret', () => {
    const [path, query] = parts(buildLocalLink('http://h', 'a/b.mp4', NOW + 60, SECRET));
    const q = new URLSearchParams(query);
    const sig = q.get('sig') ?? '';
    const other = sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    expect(verifyLocalLink(path, `exp=${NOW + 60}&sig=${other}`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyLocalLink('/v1/files/a/c.mp4', query, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyLocalLink(path, `exp=${NOW + 6000}&sig=${sig}`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyLocalLink(path, query, 'x'.repeat(40), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    // The last character's two spare bits: a different string for the same bytes is not accepted either.
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = sig.slice(0, -1) + B64URL.charAt(B64URL.indexOf(sig.at(-1) ?? 'A') ^ 1);
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verifyLocalLink(path, `exp=${NOW + 60}&sig=${twin}`, SECRET, NOW).ok).toBe(false);
    // A forged link that is also expired says nothing about expiry.
    expect(verifyLocalLink(path, `exp=${NOW + 60}&sig=${other}`, SECRET, NOW + 1000)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses malformed requests', () => {
    const exp = NOW + 60;
    const sig = localLinkSignature('a.mp4', exp, SECRET);
    const ok = `exp=${exp}&sig=${sig}`;
    expect(verifyLocalLink('/v1/files/a.mp4', ok, SECRET, NOW).ok).toBe(true);
    for (const [path, query] of [
      ['/v2/files/a.mp4', ok],
      ['/v1/files/', ok],
      ['/v1/files/a.mp4', `sig=${sig}`],
      ['/v1/files/a.mp4', `exp=${exp}`],
      ['/v1/files/a.mp4', `${ok}&sig=${sig}`],
      ['/v1/files/a.mp4', `exp=0${exp}&sig=${sig}`],
      ['/v1/files/a.mp4', `exp=-1&sig=${sig}`],
      ['/v1/files/a.mp4', `exp=${exp}&sig=${sig}=`],
      ['/v1/files/../a.mp4', ok],
      ['/v1/files/%2e%2e/a.mp4', ok],
      ['/v1/files//a.mp4', ok],
    ] as const) {
      expect(verifyLocalLink(path, query, SECRET, NOW), `${path}?${query}`).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('verifies with any of several secrets and signs with the first (rotation)', () => {
    const [path, query] = parts(buildLocalLink('http://h', 'a.mp4', NOW + 60, OLD_SECRET));
    expect(verifyLocalLink(path, query, [SECRET, OLD_SECRET], NOW).ok).toBe(true);
    expect(verifyLocalLink(path, query, [SECRET], NOW).ok).toBe(false);
    const [p2, q2] = parts(buildLocalLink('http://h', 'a.mp4', NOW + 60, [SECRET, OLD_SECRET]));
    expect(verifyLocalLink(p2, q2, SECRET, NOW).ok).toBe(true);
  });
});

describe('byte ranges (pure)', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=9-1', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
  ] as const)('%j of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
