/**
 * Object keys, validated the same way for every store (pure). A key is a relative '/'-separated path that
 * means the same thing on a filesystem, in S3 and in a URL: no traversal, nothing a shell, a log line or a
 * path join could misread.
 */
import { StorageError } from './object-store.ts';

/** S3's limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** ext4 / most filesystems' NAME_MAX, so every key also works on the local store. */
export const MAX_SEGMENT_BYTES = 255;

// C0, DEL and C1 controls: they break logs, terminals and HTTP headers.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

function segmentProblem(segment: string): string | null {
  if (segment === '') return 'has an empty segment (leading, trailing or double "/")';
  if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  if (utf8Length(segment) > MAX_SEGMENT_BYTES) return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  return null;
}

function charsProblem(s: string): string | null {
  if (!s.isWellFormed()) return 'is not well-formed Unicode';
  if (CONTROL.test(s)) return 'contains a control character';
  // A backslash is a separator on Windows and in some S3 tools' path handling: never ambiguous if absent.
  if (s.includes('\\')) return 'contains a backslash';
  return null;
}

/** Why `key` is not a valid object key, or null when it is. */
export function keyProblem(key: string): string | null {
  if (typeof key !== 'string' || key === '') return 'is empty';
  if (utf8Length(key) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  const chars = charsProblem(key);
  if (chars !== null) return chars;
  if (key.startsWith('/')) return 'starts with "/"';
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== null) return problem;
  }
  return null;
}

export function assertKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== null) throw new StorageError('invalid_key', `object key ${JSON.stringify(key)} ${problem}`);
  return key;
}

/**
 * Why `prefix` is not a valid list prefix, or null. A prefix is a key's beginning: it may be empty, end with
 * '/', or stop in the middle of a segment ('rec/2024-' matches 'rec/2024-05/x.mp4').
 */
export function prefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  if (utf8Length(prefix) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  const chars = charsProblem(prefix);
  if (chars !== null) return chars;
  if (prefix.startsWith('/')) return 'starts with "/"';
  const segments = prefix.split('/');
  // The last segment may be partial (or empty after a trailing '/'), but never a traversal.
  const last = segments.pop() ?? '';
  if (last === '.' || last === '..') return `has a "${last}" segment`;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== null) return problem;
  }
  return null;
}

export function assertPrefix(prefix: string): string {
  const problem = prefixProblem(prefix);
  if (problem !== null) throw new StorageError('invalid_key', `key prefix ${JSON.stringify(prefix)} ${problem}`);
  return prefix;
}

/** A store-wide prefix from configuration ('scriba', '/scriba/', 'a/b/'): '' or 'segments/'. */
export function normalizeStorePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  const problem = keyProblem(trimmed);
  if (problem !== null) throw new StorageError('config', `storage prefix ${JSON.stringify(prefix)} ${problem}`);
  return `${trimmed}/`;
}

/** The key as a URL path: each segment percent-encoded, '/' kept. The one canonical form links use. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * The key a URL path names, or null when the path is not the canonical encoding of a valid key (so `..`,
 * `%2e%2e`, `%2F`, absolute paths, bad escapes and alternative spellings of the same key are all refused).
 */
export function decodeKeyPath(path: string): string | null {
  let key: string;
  try {
    key = path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return null; // malformed percent-escape
  }
  if (keyProblem(key) !== null) return null;
  return encodeKeyPath(key) === path ? key : null;
}

/** The last segment, e.g. for a download's file name. */
export function keyBaseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
