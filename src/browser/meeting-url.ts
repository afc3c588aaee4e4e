/**
 * The meeting URL the recorder opens (jitsi-interop.md §1), and the parser for meeting URLs people give us.
 * Pure: no I/O.
 *
 * Built URL: `<base>[/<tenant>]/<room>[?jwt=<token>]#<param>=<value>&…` where every value is
 * `encodeURIComponent(JSON text)`: Jitsi Meet's parseURLParams splits the hash on `&` and `=`, URI-decodes each
 * value and JSON-parses it, so a raw `&`, `=` or `#` can never leak out of a value.
 */
import { ScribaError } from '../domain/errors.ts';

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

/** The recorder's XMPP account on the deployment's hidden domain. */
export interface RecorderLogin {
  /** The hidden domain: 'recorder.meet.example.com'. */
  domain: string;
  username: string;
  /** Secret. */
  password: string;
  /** Appended to the username (e.g. '-a1b2c3d4') so several recorders can share one account. */
  randomSuffix: string | null;
}

export interface RecorderIdentity {
  displayName: string;
  email: string;
}

/**
 * The hash parameters, in the order they are emitted (fixed so URLs are comparable and testable).
 * Values are JSON texts; jitsi-interop.md §1 explains each.
 */
export const RECORDER_URL_FLAGS: ReadonlyArray<readonly [key: string, jsonValue: string]> = [
  ['config.iAmRecorder', 'true'],
  ['config.externalConnectUrl', 'null'],
  ['config.startWithAudioMuted', 'true'],
  ['config.startWithVideoMuted', 'true'],
  ['config.disableInitialGUM', 'true'],
  ['config.p2p.enabled', 'false'],
  ['config.prejoinConfig.enabled', 'false'],
  ['config.requireDisplayName', 'false'],
  ['config.analytics.disabled', 'true'],
  ['config.deeplinking.disabled', 'true'],
  ['interfaceConfig.APP_NAME', '"Jibri"'],
  ['config.useHostPageLocalStorage', 'true'],
];

/** The last hash parameter: the login and identity Meet copies into its (host page) local storage. */
export const LOCAL_STORAGE_PARAM = 'appData.localStorageContent';

/**
 * The local-storage entries Jitsi Meet reads at start-up. Every value is a plain string (Meet stores and reads
 * them with setItem/getItem as they are); the whole map is JSON-encoded into the URL by buildMeetingUrl.
 * Key order: xmpp_username_override, xmpp_password_override (both only with a login),
 * xmpp_conference_password_override (only with a non-empty room password), displayname, email,
 * callStatsUserName (the display name: a label in Meet's stats only).
 */
export function buildLocalStorageContent(
  login: RecorderLogin | null,
  identity: RecorderIdentity,
  roomPassword: string | null,
): Record<string, string> {
  const content: Record<string, string> = {};
  if (login) {
    content['xmpp_username_override'] = `${login.username}${login.randomSuffix ?? ''}@${login.domain}`;
    content['xmpp_password_override'] = login.password;
  }
  if (roomPassword) content['xmpp_conference_password_override'] = roomPassword;
  content['displayname'] = identity.displayName;
  content['email'] = identity.email;
  content['callStatsUserName'] = identity.displayName;
  return content;
}

/**
 * `<base>[/<tenant>]/<room>[?jwt=<token>]#<RECORDER_URL_FLAGS…>[&appData.localStorageContent=<…>]`.
 * The local-storage parameter is left out when there is neither a login nor a room password (a JWT or open
 * deployment: nothing secret to hand over, and Meet keeps its own defaults).
 * The result holds secrets (password, JWT): never log it.
 */
export function buildMeetingUrl(
  target: MeetingTarget,
  login: RecorderLogin | null,
  identity: RecorderIdentity,
  roomPassword: string | null,
): string {
  const base = target.baseUrl.replace(/\/+$/, '');
  const tenant = target.tenant ? `/${encodeURIComponent(target.tenant)}` : '';
  const queryParts = [...(target.jwt ? [`jwt=${encodeURIComponent(target.jwt)}`] : []), ...(target.query ? [target.query] : [])];
  const query = queryParts.length > 0 ? `?${queryParts.join('&')}` : '';
  const params = RECORDER_URL_FLAGS.map(([key, json]) => `${key}=${encodeURIComponent(json)}`);
  if (login || roomPassword) {
    const content = buildLocalStorageContent(login, identity, roomPassword);
    params.push(`${LOCAL_STORAGE_PARAM}=${encodeURIComponent(JSON.stringify(content))}`);
  }
  return `${base}${tenant}/${encodeURIComponent(target.room)}${query}#${params.join('&')}`;
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
