/** The recorder's XMPP login for one session, from configuration (jitsi-interop.md §1). */
import { createHash } from 'node:crypto';
import type { RecorderLogin } from '../browser/meeting-url.ts';
import type { ScribaConfig } from '../config/config.ts';

/**
 * Null when no hidden-domain account is configured (the recorder then joins as a guest). Several sessions (on
 * one machine or many) share the account: a per-session suffix, derived from the session id so it is stable
 * for that session, keeps their XMPP logins apart.
 */
export function recorderLogin(config: ScribaConfig, sessionId: string): RecorderLogin | null {
  const m = config.meeting;
  if (!m.xmppDomain || !m.xmppUsername) return null;
  const suffix = `-${createHash('sha256').update(sessionId).digest('hex').slice(0, 8)}`;
  return { domain: m.xmppDomain, username: m.xmppUsername, password: m.xmppPassword, randomSuffix: suffix };
}
