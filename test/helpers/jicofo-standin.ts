/**
 * A Jicofo stand-in for brewery tests, written from the protocol (docs/jitsi-deployment.md): logs in, joins
 * the brewery as `focus`, follows every occupant's `jibri-status` presence, sends start and stop IQs to an
 * occupant, and answers each status IQ an occupant sends with an empty result (recording it).
 */
import { xml, type Element } from '@xmpp/xml';
import { settlesWithin } from '../../src/lib/abort.ts';
import { JIBRI_NS, readJibriStatus, type OccupantStatus } from '../../src/xmpp/jibri-stanzas.ts';
import { createXmppConnection, type XmppConnection } from '../../src/xmpp/xmpp-connection.ts';
import { waitUntil } from './processes.ts';

export interface JicofoOptions {
  readonly port: number;
  readonly authDomain: string;
  readonly roomJid: string;
  readonly username: string;
  readonly password: string;
}

export interface PresenceSeen {
  readonly nick: string;
  /** null: the occupant left. */
  readonly status: OccupantStatus | null;
  readonly atMs: number;
}

export interface StatusIqSeen {
  readonly nick: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly atMs: number;
}

/** The reply to a start or stop: the `<jibri>` attributes, or the stanza error condition. */
export type JibriReply = { readonly attrs: Readonly<Record<string, string>> } | { readonly error: string };

function attrsOf(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) if (k !== 'xmlns' && typeof v === 'string') out[k] = v;
  return out;
}

export class JicofoStandin {
  readonly presences: PresenceSeen[] = [];
  readonly statusIqs: StatusIqSeen[] = [];
  readonly #occupants = new Map<string, OccupantStatus>();
  readonly #conn: XmppConnection;
  readonly #roomJid: string;

  private constructor(conn: XmppConnection, roomJid: string) {
    this.#conn = conn;
    this.#roomJid = roomJid;
  }

  static async start(opts: JicofoOptions): Promise<JicofoStandin> {
    const conn = createXmppConnection({
      host: '127.0.0.1',
      port: opts.port,
      domain: opts.authDomain,
      username: opts.username,
      password: opts.password,
      trustAllCerts: true,
    });
    conn.client.on('error', () => undefined);
    const self = new JicofoStandin(conn, opts.roomJid.toLowerCase());
    conn.client.on('stanza', (s: Element) => self.#onStanza(s));
    conn.iqCallee.set(JIBRI_NS, 'jibri', (ctx) => {
      self.statusIqs.push({ nick: self.#nick(ctx.stanza.attrs['from']), attrs: attrsOf(ctx.element), atMs: Date.now() });
      return {};
    });
    await conn.client.start();
    await conn.client.send(xml('presence', { to: `${self.#roomJid}/focus` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    return self;
  }

  #nick(from: string | undefined): string {
    return from?.startsWith(`${this.#roomJid}/`) ? from.slice(this.#roomJid.length + 1) : (from ?? '');
  }

  #onStanza(s: Element): void {
    if (!s.is('presence')) return;
    const nick = this.#nick(s.attrs['from']);
    if (nick === '' || nick === 'focus' || !s.attrs['from']?.startsWith(this.#roomJid)) return;
    if (s.attrs['type'] === 'unavailable') {
      this.#occupants.delete(nick);
      this.presences.push({ nick, status: null, atMs: Date.now() });
      return;
    }
    const status = readJibriStatus(s);
    if (status === null) return;
    this.#occupants.set(nick, status);
    this.presences.push({ nick, status, atMs: Date.now() });
  }

  /** Current status of each present occupant, by nickname. */
  occupants(): ReadonlyMap<string, OccupantStatus> {
    return this.#occupants;
  }

  /** As Jicofo does: an idle, healthy occupant (null when there is none). */
  pickIdle(): string | null {
    for (const [nick, s] of this.#occupants) if (!s.busy && s.healthy) return nick;
    return null;
  }

  async waitForOccupants(test: (o: ReadonlyMap<string, OccupantStatus>) => boolean, timeoutMs = 15_000): Promise<boolean> {
    return waitUntil(() => test(this.#occupants), timeoutMs, 50);
  }

  async waitForStatusIq(nick: string, status: string, timeoutMs: number): Promise<StatusIqSeen | null> {
    const find = (): StatusIqSeen | undefined => this.statusIqs.find((s) => s.nick === nick && s.attrs['status'] === status);
    await waitUntil(() => find() !== undefined, timeoutMs, 50);
    return find() ?? null;
  }

  /** Sends `<jibri action=…>` with these attributes to an occupant; Jicofo waits 15 s for the reply. */
  async send(nick: string, attrs: Readonly<Record<string, string>>): Promise<JibriReply> {
    try {
      const reply = await this.#conn.iqCaller.request(
        xml('iq', { type: 'set', to: `${this.#roomJid}/${nick}` }, xml('jibri', { xmlns: JIBRI_NS, ...attrs })),
        15_000,
      );
      const jibri = reply.getChild('jibri', JIBRI_NS);
      return { attrs: jibri ? attrsOf(jibri) : {} };
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      if (condition !== undefined) return { error: condition };
      throw err;
    }
  }

  /** A raw IQ (malformed-request tests). */
  async sendRaw(nick: string, child: Element): Promise<JibriReply> {
    try {
      const reply = await this.#conn.iqCaller.request(xml('iq', { type: 'set', to: `${this.#roomJid}/${nick}` }, child), 15_000);
      const jibri = reply.getChild('jibri', JIBRI_NS);
      return { attrs: jibri ? attrsOf(jibri) : {} };
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      if (condition !== undefined) return { error: condition };
      throw err;
    }
  }

  async close(): Promise<void> {
    await settlesWithin(
      this.#conn.client.stop().catch(() => undefined),
      3_000,
    );
  }
}
