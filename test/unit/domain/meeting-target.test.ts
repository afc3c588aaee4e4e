import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import { parseMeetingUrl } from '../../../src/domain/meeting-target.ts';

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ScribaError);
  expect((caught as ScribaError).code).toBe('invalid_request');
  expect((caught as ScribaError).retryable).toBe(false);
  expect((caught as ScribaError).message).toMatch(message);
}

describe('parseMeetingUrl', () => {
  it('splits host, tenant, room and jwt', () => {
    expect(parseMeetingUrl('https://meet.example.com/acme/weekly?jwt=a.b.c', false)).toEqual({
      baseUrl: 'https://meet.example.com',
      tenant: 'acme',
      room: 'weekly',
      jwt: 'a.b.c',
    });
  });

  it('room only, port kept, trailing slash, hash dropped, other query parameters kept apart from jwt', () => {
    expect(parseMeetingUrl('https://Meet.Example.com:8443/weekly/?foo=1#config.iAmRecorder=false', false)).toEqual({
      baseUrl: 'https://meet.example.com:8443',
      tenant: null,
      room: 'weekly',
      jwt: null,
      query: 'foo=1',
    });
  });

  it('accepts http only when allowed', () => {
    expect(parseMeetingUrl('http://127.0.0.1:8080/room', true)).toEqual({
      baseUrl: 'http://127.0.0.1:8080',
      tenant: null,
      room: 'room',
      jwt: null,
    });
    expectInvalid(() => parseMeetingUrl('http://meet.example.com/room', false), /must use https:/);
  });

  it.each([
    ['file:///etc/passwd', /must use https:/],
    ['javascript:alert(1)', /must use https:/],
    ['data:text/html,<b>x</b>', /must use https:/],
    ['ftp://meet.example.com/room', /must use https:/],
    ['not a url', /not a valid absolute URL/],
    ['', /empty/],
    ['https://meet.example.com', /no room name/],
    ['https://meet.example.com/', /no room name/],
    ['https://meet.example.com/a/b/c', /must look like/],
    ['https://meet.example.com/a/../room', /'\.\.'/],
    ['https://meet.example.com/%2e%2e/room', /'\.\.'/],
    ['https://meet.example.com/other/.%2e/room', /'\.\.'/],
    ['https://meet.example.com/other/%2E./room', /'\.\.'/],
    ['https://meet.example.com/other/%2e/room', /'\.\.'/],
    ['https://meet.example.com/other\\..\\room', /'\.\.'/],
    ['https://meet.example.com/room..x', /'\.\.'/],
    ['https://meet.example.com/a%2Fb', /'\/'/],
    ['https://meet.example.com/a%5Cb', /'\/'/],
    ['https://meet.example.com/room%00', /control characters/],
    ['https://meet.example.com/room%0Ax', /control characters/],
    ['https://meet.example.com/room%C2%85', /control characters/],
    ['https://meet.example.com/room%E0%A4%A', /percent-encoding/],
    ['https://meet.example.com/%20', /empty/],
    ['https://user:pw@meet.example.com/room', /user name or password/],
  ])('rejects %s', (url, message) => {
    expectInvalid(() => parseMeetingUrl(url, true), message);
  });
});
