/**
 * The stanzas of the Jibri control protocol, built and read by pure functions (docs/jitsi-deployment.md,
 * "The Jibri control protocol"): brewery presence with `jibri-status`, the start/stop IQ, its immediate
 * reply and the later status IQs. Nothing here touches a connection.
 */
import { xml, type Element } from '@xmpp/xml';
import type { JibriIqAttrs } from './start-iq.ts';

export const JIBRI_NS = 'http://jitsi.org/protocol/jibri';
export const HEALTH_NS = 'http://jitsi.org/protocol/health';
export const MUC_NS = 'http://jabber.org/protocol/muc';
export const MUC_USER_NS = 'http://jabber.org/protocol/muc#user';
export const MUC_OWNER_NS = 'http://jabber.org/protocol/muc#owner';
export const STANZA_ERROR_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** What an occupant advertises: Jicofo picks an idle and healthy one. */
export interface OccupantStatus {
  readonly busy: boolean;
  readonly healthy: boolean;
}

/** `status="off"` with a reason: `busy` (try another recorder) or `error`. */
export interface JibriFailure {
  readonly failureReason: 'busy' | 'error';
  readonly shouldRetry: boolean;
}

export type JibriStatusValue = 'pending' | 'on' | 'off';

/** The occupant's nickname for slot 0, 1, 2…: `<nick>`, `<nick>-2`, `<nick>-3`… */
export function slotNickname(nickname: string, slot: number): string {
  return slot === 0 ? nickname : `${nickname}-${slot + 1}`;
}

/** `<jibri-status>` as Jibri publishes it: busy-status in the jibri namespace, health-status in the health one. */
export function jibriStatusElement(status: OccupantStatus): Element {
  return xml(
    'jibri-status',
    { xmlns: JIBRI_NS },
    xml('busy-status', { xmlns: JIBRI_NS, status: status.busy ? 'busy' : 'idle' }),
    xml('health-status', { xmlns: HEALTH_NS, status: status.healthy ? 'healthy' : 'unhealthy' }),
  );
}

/** Presence to the occupant JID; `join` adds the MUC element (the first presence, which enters the room). */
export function occupantPresence(occupantJid: string, status: OccupantStatus, join: boolean): Element {
  return xml(
    'presence',
    { to: occupantJid },
    join ? xml('x', { xmlns: MUC_NS }, xml('history', { maxstanzas: '0' })) : null,
    jibriStatusElement(status),
  );
}

export function leavePresence(occupantJid: string): Element {
  return xml('presence', { to: occupantJid, type: 'unavailable' });
}

/** Submits the default configuration of a room this occupant just created (Prosody keeps a new room locked until then). */
export function instantRoomConfig(roomJid: string, id: string): Element {
  return xml(
    'iq',
    { type: 'set', to: roomJid, id },
    xml('query', { xmlns: MUC_OWNER_NS }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })),
  );
}

/** The outcome of a presence from the room addressed to our occupant JID. */
export type JoinOutcome =
  | { readonly kind: 'joined'; readonly created: boolean }
  | { readonly kind: 'refused'; readonly condition: string; readonly text: string | null }
  | { readonly kind: 'left' }
  | { readonly kind: 'other' };

/** Reads a presence from the room: our own (status 110), created (201), an error, or our removal. */
export function joinOutcome(presence: Element, occupantJid: string): JoinOutcome {
  if (!presence.is('presence') || presence.attrs['from']?.toLowerCase() !== occupantJid.toLowerCase()) return { kind: 'other' };
  if (presence.attrs['type'] === 'error') {
    const error = presence.getChild('error');
    const condition =
      error?.getChildElements().find((c) => c.getNS() === STANZA_ERROR_NS && c.name !== 'text')?.name ?? 'undefined-condition';
    const text = error?.getChild('text', STANZA_ERROR_NS)?.text() ?? null;
    return { kind: 'refused', condition, text };
  }
  const codes = (presence.getChild('x', MUC_USER_NS)?.getChildren('status') ?? []).map((s) => s.attrs['code']);
  if (presence.attrs['type'] === 'unavailable') return { kind: 'left' };
  if (!codes.includes('110')) return { kind: 'other' };
  return { kind: 'joined', created: codes.includes('201') };
}

/** The `<jibri>` element of an IQ, or null when the IQ carries none. */
export function jibriElement(iq: Element): Element | null {
  return iq.getChild('jibri', JIBRI_NS) ?? null;
}

/** Every attribute of the `<jibri>` element as strings (the namespace declaration left out). */
export function jibriAttrs(element: Element): JibriIqAttrs {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(element.attrs)) if (k !== 'xmlns' && typeof v === 'string') out[k] = v;
  return out;
}

function statusAttrs(status: JibriStatusValue, failure: JibriFailure | null): Record<string, string> {
  return failure === null
    ? { xmlns: JIBRI_NS, status }
    : { xmlns: JIBRI_NS, status, failure_reason: failure.failureReason, should_retry: String(failure.shouldRetry) };
}

/** The child of the immediate reply to a start or stop (the IQ result wraps it). */
export function jibriReplyChild(status: JibriStatusValue, failure: JibriFailure | null = null): Element {
  return xml('jibri', statusAttrs(status, failure));
}

/** The later status IQ (`set`) the occupant sends to whoever started the session: on, off, or off with a failure. */
export function jibriStatusIq(to: string, id: string, status: 'on' | 'off', failure: JibriFailure | null = null): Element {
  return xml('iq', { type: 'set', to, id }, xml('jibri', statusAttrs(status, failure)));
}

/** An IQ error child (the callee wraps it): `bad-request` for a jibri IQ that is not start or stop. */
export function stanzaError(type: 'modify' | 'cancel', condition: string, text?: string): Element {
  return xml(
    'error',
    { type },
    xml(condition, { xmlns: STANZA_ERROR_NS }),
    text === undefined ? null : xml('text', { xmlns: STANZA_ERROR_NS }, text),
  );
}

/** Reads a `<jibri-status>` presence (the Jicofo stand-in and tests use it): null when the presence has none. */
export function readJibriStatus(presence: Element): OccupantStatus | null {
  const status = presence.getChild('jibri-status', JIBRI_NS);
  if (status === undefined) return null;
  const busy = status.getChild('busy-status', JIBRI_NS)?.attrs['status'];
  const health = status.getChild('health-status', HEALTH_NS)?.attrs['status'];
  return { busy: busy !== 'idle', healthy: health === 'healthy' };
}
