/**
 * The meeting a Jibri start request names: Jicofo sends the conference's room JID
 * (`room@conference[.tenant].meet.example.com`), and the meeting URL is derived from it the way Jibri does
 * (docs/jitsi-deployment.md, "The meeting URL"): remove `stripFromRoomDomain` from the JID's domain; what is
 * left before `.<xmppDomain>` is the tenant; the URL is `<baseUrl>[/<tenant>]/<local part>`. Pure.
 */
import { parseMeetingUrl, type MeetingTarget } from '../domain/meeting-target.ts';
import { ScribaError } from '../domain/errors.ts';
import type { XmppEnvironment } from './xmpp-environment.ts';

function invalid(message: string): ScribaError {
  return new ScribaError('invalid_request', message, { scope: 'session', retryable: false });
}

/** XMPP local parts and domains are at most 1023 bytes each; anything longer is not a JID. */
const MAX_PART = 1023;

/**
 * The meeting of a room JID on `env`. The base URL is the environment's (operator configuration, trusted);
 * room and tenant are checked as a meeting URL's would be (no '/', '..', control characters).
 * Throws ScribaError('invalid_request') with a message fit for logs.
 */
export function meetingTargetFromRoomJid(roomJid: string, env: XmppEnvironment): MeetingTarget {
  const jid = roomJid.trim();
  const at = jid.lastIndexOf('@');
  if (at <= 0) throw invalid('the room is not a room JID (room@conference.<domain>)');
  if (jid.includes('/')) throw invalid('the room JID must not have a resource');
  const local = jid.slice(0, at);
  let domain = jid
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  if (local.length > MAX_PART || domain.length > MAX_PART) throw invalid('the room JID is too long');
  if (domain === '') throw invalid('the room JID has no domain');

  // Jibri removes the first occurrence, case-insensitively.
  const strip = env.stripFromRoomDomain.toLowerCase();
  if (strip !== '') {
    const i = domain.indexOf(strip);
    if (i >= 0) domain = domain.slice(0, i) + domain.slice(i + strip.length);
  }
  domain = domain.replace(/^\.+|\.+$/g, '');
  const xmppDomain = env.xmppDomain.toLowerCase().replace(/\.$/, '');
  let tenant: string | null;
  if (domain === xmppDomain) tenant = null;
  else if (domain.endsWith(`.${xmppDomain}`)) tenant = domain.slice(0, -(xmppDomain.length + 1)).replace(/^\.+|\.+$/g, '') || null;
  else throw invalid(`the room JID's domain is not on this environment's XMPP domain ${xmppDomain}`);

  // Meet puts the room name into the local part percent-encoded (lowercase); the target holds decoded text.
  let room = local;
  try {
    room = decodeURIComponent(local);
  } catch {
    // Not percent-encoding: the local part is the name as it is.
  }
  // Reuse the meeting URL checks for room and tenant; the origin here only carries them.
  const probe = `https://room-jid.invalid/${tenant === null ? '' : `${encodeURIComponent(tenant)}/`}${encodeURIComponent(room)}`;
  const checked = parseMeetingUrl(probe, false);
  return { baseUrl: env.baseUrl.replace(/\/+$/, ''), tenant: checked.tenant, room: checked.room, jwt: null };
}
