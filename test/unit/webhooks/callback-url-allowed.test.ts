import { describe, expect, it } from 'vitest';
import { callbackUrlAllowed } from '../../../src/webhooks/callback-url-allowed.ts';

const allowed = ['https://hooks.example.com/scriba', 'https://cb.example.org', 'http://10.0.0.5:8080/in/'];

describe('callbackUrlAllowed', () => {
  it.each([
    ['https://hooks.example.com/scriba', true],
    ['https://hooks.example.com/scriba/tenant-1', true],
    ['https://hooks.example.com/scriba?tenant=1', true],
    ['HTTPS://HOOKS.EXAMPLE.COM:443/scriba/x', true],
    ['https://cb.example.org/', true],
    ['https://cb.example.org/anything', true],
    ['http://10.0.0.5:8080/in/x', true],
    // not a continuation of the prefix
    ['https://hooks.example.com/scriba-evil', false],
    ['https://hooks.example.com/scrib', false],
    ['https://hooks.example.com/other', false],
    ['https://cb.example.org.evil.com/', false],
    ['https://cb.example.org:8443/', false],
    ['http://cb.example.org/', false],
    ['http://10.0.0.5:8080/inx', false],
    ['http://10.0.0.5:8080/in', false],
    // normalization defeats dot segments
    ['https://hooks.example.com/scriba/../admin', false],
    ['https://hooks.example.com/scriba/%2e%2e/admin', false],
    // userinfo is never accepted, even when the rest matches
    ['https://user:pw@hooks.example.com/scriba', false],
    ['https://hooks.example.com@evil.com/scriba', false],
    // other schemes and garbage
    ['ftp://hooks.example.com/scriba', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
    ['', false],
  ])('%s → %s', (url, ok) => {
    expect(callbackUrlAllowed(url, allowed)).toBe(ok);
  });

  it('no prefixes: nothing is allowed', () => {
    expect(callbackUrlAllowed('https://hooks.example.com/scriba', [])).toBe(false);
  });

  it('invalid prefixes are ignored', () => {
    expect(callbackUrlAllowed('https://a.example/x', ['garbage', 'ftp://a.example/', 'https://a.example/'])).toBe(true);
  });
});
