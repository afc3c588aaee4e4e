/**
 * Where a meeting is, and the parser for meeting URLs people give us (API, CLI, brewery start requests).
 * Pure: no I/O. Building the URL the recorder opens is the browser's business (src/browser/meeting-url.ts).
 */
import { ScribaError } from './errors.ts';

/** Where the meeting is. `room` and `tenant` are decoded text; they are URI-encoded only when a URL is built. */
export interface MeetingTarget {
  /** Scheme, host and port (and an optional path prefix), no trailing slash: 'https://meet.example.com'. */
  baseUrl: string;
  tenant: string | null;
  room: string;
  /** Passed as `?jwt=` (JWT deployments). Secret. */
  jwt: string | null;
  /**
   * Other query parameters of the given URL, kept as `a=1&b=2` (e.g. a deployment's own routing, or the
   * synthetic meeting's script). Meet takes configuration only from the hash, which is never kept.
   */
  query?: string;
}

// C0 and C1 control characters and DEL.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function invalid(message: string): ScribaError {
  return new ScribaError('invalid_request', message, { scope: 'session', retryable: false });
}

function decodeSegment(raw: string, what: 'room' | 'tenant'): string {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    throw invalid(`the meeting URL's ${what} name is not valid percent-encoding`);
  }
  if (text.trim() === '') throw invalid(`the meeting URL's ${what} name is empty`);
  if (text.includes('..')) throw invalid(`the meeting URL's ${what} name must not contain '..'`);
  if (text.includes('/') || text.includes('\\')) throw invalid(`the meeting URL's ${what} name must not contain '/' or '\\'`);
  if (CONTROL_CHARS.test(text)) throw invalid(`the meeting URL's ${what} name must not contain control characters`);
  return text;
}

/**
 * Splits a meeting URL given by a user (`https://host[:port]/[tenant/]room[?jwt=…]`) into a MeetingTarget.
 * Only https (and http when `allowHttp`) are accepted; user info (`user:pass@`) is refused; the hash is dropped
 * (Meet reads configuration only from the hash, so a request cannot inject configuration); other query
 * parameters are kept in `query`.
 * Room and tenant come back decoded. Throws ScribaError('invalid_request') with a message fit for the caller.
 */
export function parseMeetingUrl(url: string, allowHttp: boolean): MeetingTarget {
  if (typeof url !== 'string' || url.trim() === '') throw invalid('the meeting URL is empty');
  if (CONTROL_CHARS.test(url)) throw invalid('the meeting URL must not contain control characters');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw invalid('the meeting URL is not a valid absolute URL');
  }
  if (parsed.protocol !== 'https:' && !(allowHttp && parsed.protocol === 'http:')) {
    const allowed = allowHttp ? 'https: or http:' : 'https:';
    throw invalid(`the meeting URL must use ${allowed} (got ${parsed.protocol})`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid('the meeting URL must not contain a user name or password');
  }
  if (parsed.hostname === '') throw invalid('the meeting URL has no host');
  // Check the raw path: URL() already resolved '..' segments away, which would silently change the room.
  // URL() reads `%2e` as a dot and a backslash as '/', so `.%2e`, `%2e.` and a backslash before `..` count too.
  const rawPath = rawPathOf(url.trim()).replace(/%2e/gi, '.').replace(/\\/g, '/');
  if (/(^|\/)\.\.?(\/|$)/.test(rawPath)) {
    throw invalid("the meeting URL's path must not contain '..'");
  }
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  if (segments.length === 0) throw invalid('the meeting URL has no room name');
  if (segments.length > 2) throw invalid('the meeting URL must look like https://host/room or https://host/tenant/room');
  const room = decodeSegment(segments[segments.length - 1] ?? '', 'room');
  const tenant = segments.length === 2 ? decodeSegment(segments[0] ?? '', 'tenant') : null;
  const jwt = parsed.searchParams.get('jwt');
  const rest = new URLSearchParams(parsed.searchParams);
  rest.delete('jwt');
  const query = rest.toString();
  return {
    baseUrl: `${parsed.protocol}//${parsed.host}`,
    tenant,
    room,
    jwt: jwt === null || jwt === '' ? null : jwt,
    ...(query ? { query } : {}),
  };
}

/** The path of an absolute URL as written (before dot-segment resolution), without query or hash. */
function rawPathOf(url: string): string {
  const afterScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/\\?#]*/i, '');
  const end = afterScheme.search(/[?#]/);
  return end === -1 ? afterScheme : afterScheme.slice(0, end);
}
