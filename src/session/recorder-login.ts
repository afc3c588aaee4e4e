/** The recorder's XMPP login for one session, from configuration (docs/configuration.md). */
import { createHash } from 'node:crypto';
import type { RecorderLogin } from '../browser/meeting-url.ts';
import type { ScribaConfig } from '../config/config.ts';
import { xmppSettings } from '../config/xmpp-config.ts';

/**
 * Null when no hidden-domain account is configured (the recorder then joins as a guest). Several sessions (on
 * one machine or many) share the account: a per-session suffix, derived from the session id so it is stable
 * for that session, keeps their XMPP logins apart.
 */
export function recorderLogin(config: ScribaConfig, sessionId: string, xmppEnvironment?: string): RecorderLogin | null {
  const suffix = `-${createHash('sha256').update(sessionId).digest('hex').slice(0, 8)}`;
  // A session a brewery started joins with that environment's call-login (null there = as a guest), as Jibri does.
  const env = xmppEnvironment === undefined ? undefined : xmppSettings(config).environments.find((e) => e.name === xmppEnvironment);
  if (env !== undefined) return env.callLogin === null ? null : { ...env.callLogin, randomSuffix: suffix };
  const m = config.meeting;
  if (!m.xmppDomain || !m.xmppUsername) return null;
  return { domain: m.xmppDomain, username: m.xmppUsername, password: m.xmppPassword, randomSuffix: suffix };
}
