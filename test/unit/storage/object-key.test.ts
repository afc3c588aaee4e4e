import { describe, expect, it } from 'vitest';
import { attachmentDisposition, contentTypeFor } from '../../../src/storage/content-type.ts';
import {
  assertKey,
  decodeKeyPath,
  encodeKeyPath,
  keyBaseName,
  keyProblem,
  normalizeStorePrefix,
  prefixProblem,
} from '../../../src/storage/object-key.ts';
import { StorageError } from '../../../src/storage/object-store.ts';

describe('object keys', () => {
  it.each([
    'a.mp4',
    'session_1/Room_2024-05-01-10-00-00.mp4',
    'sess/métadonnées.json',
    'a/b/c/d.txt',
    '...', // three dots is a name, not a traversal
    'sp ace/file (1).mp4',
    `${'x'.repeat(255)}/y`,
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeNull();
  });

  it.each([
    ['', 'is empty'],
    ['/etc/passwd', 'starts with "/"'],
    ['..', 'has a ".." segment'],
    ['a/../b', 'has a ".." segment'],
    ['./a', 'has a "." segment'],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['a\u0000b', 'control character'],
    ['a\nb', 'control character'],
    ['a\u007fb', 'control character'],
    ['a\u0085b', 'control character'],
    ['a\\..\\b', 'backslash'],
    ['a\ud800b', 'well-formed'],
    ['x'.repeat(1025), 'longer than 1024 bytes'],
    ['é'.repeat(513), 'longer than 1024 bytes'],
    [`${'x'.repeat(256)}/y`, 'longer than 255 bytes'],
  ])('refuses %j (%s)', (key, why) => {
    expect(keyProblem(key)).toContain(why);
    expect(() => assertKey(key)).toThrow(StorageError);
  });

  it('checks prefixes: partial last segments are fine, traversal is not', () => {
    for (const ok of ['', 'a', 'a/', 'a/b', 'rec/2024-', 'a/.hidden']) expect(prefixProblem(ok), ok).toBeNull();
    for (const bad of ['/a', '../', 'a/../', 'a/..', 'a//b', 'a\u0000']) expect(prefixProblem(bad), bad).not.toBeNull();
  });

  it('normalizes a configured store prefix', () => {
    expect(normalizeStorePrefix('')).toBe('');
    expect(normalizeStorePrefix('/')).toBe('');
    expect(normalizeStorePrefix('scriba')).toBe('scriba/');
    expect(normalizeStorePrefix('/a/b/')).toBe('a/b/');
    expect(() => normalizeStorePrefix('a/../b')).toThrow(StorageError);
  });

  it('encodes keys as URL paths and decodes only the canonical spelling', () => {
    const key = 'sess 1/Ünïcode #1?&%.mp4';
    const path = encodeKeyPath(key);
    expect(path).toBe('sess%201/%C3%9Cn%C3%AFcode%20%231%3F%26%25.mp4');
    expect(decodeKeyPath(path)).toBe(key);
    expect(decodeKeyPath('a/b.mp4')).toBe('a/b.mp4');
    for (const bad of ['a%2Fb.mp4', '%2e%2e/x', '../x', '/x', 'a//b', '%zz', 'a%20b%2', 'sess 1/x', '%61.mp4']) {
      expect(decodeKeyPath(bad), bad).toBeNull();
    }
  });

  it('names base names, content types and download dispositions', () => {
    expect(keyBaseName('a/b/c.mp4')).toBe('c.mp4');
    expect(keyBaseName('c.mp4')).toBe('c.mp4');
    expect(contentTypeFor('a/rec.MP4')).toBe('video/mp4');
    expect(contentTypeFor('a/metadata.json')).toBe('application/json');
    expect(contentTypeFor('a/t.vtt')).toBe('text/vtt; charset=utf-8');
    expect(contentTypeFor('a/noext')).toBe('application/octet-stream');
    expect(contentTypeFor('a/.mp4')).toBe('application/octet-stream');
    expect(attachmentDisposition('s/Réunion "Q1".mp4')).toBe(
      `attachment; filename="R_union _Q1_.mp4"; filename*=UTF-8''R%C3%A9union%20%22Q1%22.mp4`,
    );
    expect(attachmentDisposition("s/it's (1).mp4")).toBe(`attachment; filename="it's (1).mp4"; filename*=UTF-8''it%27s%20%281%29.mp4`);
  });
});
