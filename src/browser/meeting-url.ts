/**
 * The meeting URL the recorder opens (docs/jitsi-recorder.md, "Joining as the hidden recorder"). People's meeting URLs are parsed in
 * src/domain/meeting-target.ts. Pure: no I/O.
 *
 * Built URL: `<base>[/<tenant>]/<room>[?jwt=<token>]#<param>=<value>&…` where every value is
 * `encodeURIComponent(JSON text)`: Jitsi Meet's parseURLParams splits the hash on `&` and `=`, URI-decodes each
 * value and JSON-parses it, so a raw `&`, `=` or `#` can never leak out of a value.
 */
import type { MeetingTarget } from '../domain/meeting-target.ts';

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
 * Values are JSON texts; docs/jitsi-recorder.md explains each.
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
