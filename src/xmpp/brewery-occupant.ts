/**
 * One occupant of a Jibri brewery: its own XMPP connection (Jicofo matches status IQs by the occupant JID, so
 * each concurrent session slot is its own occupant), the `jibri-status` presence it advertises, the start/stop
 * IQs it receives and the status IQs it sends. Reconnects with back-off and rejoins after any loss (server
 * restart, network, kick); reports each loss so that a session it serves can stop. Never throws to its owner.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import { pause } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import {
  instantRoomConfig,
  jibriAttrs,
  jibriStatusIq,
  JIBRI_NS,
  joinOutcome,
  leavePresence,
  occupantPresence,
  stanzaError,
  type JibriFailure,
  type OccupantStatus,
} from './jibri-stanzas.ts';
import type { JibriIqAttrs } from './start-iq.ts';
import { createXmppConnection, type XmppConnection, type XmppLogin } from './xmpp-connection.ts';

export interface JibriIqRequest {
  /** The requester's JID as the room relays it (Jicofo's occupant JID): where status IQs go. */
  readonly from: string;
  readonly attrs: JibriIqAttrs;
}

export interface BreweryOccupantOptions {
  readonly login: XmppLogin;
  /** The brewery, `room@muc-domain` (lowercased as the MUC service does). */
  readonly roomJid: string;
  readonly nickname: string;
  readonly logger: Logger;
  /** Answers a `<jibri>` IQ set: the child of the result (a `<jibri status=…>`), or an `<error>` element. */
  onJibriIq(request: JibriIqRequest): Promise<Element>;
  /** The connection was lost after the occupant had joined (a session it serves must stop). */
  onConnectionLost?(): void;
  /** Reconnect back-off (ms): doubles from `initialMs` up to `maxMs`; reset after a successful join. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How often the server is pinged to notice a dead connection (ms). */
  readonly pingEveryMs?: number;
}

export type OccupantState = 'connecting' | 'joined' | 'closed';

const PING_NS = 'urn:xmpp:ping';

/** A login or join failure explained without secrets (the password is never part of any message). */
export function describeXmppError(err: unknown): string {
  const e = err as { condition?: unknown; message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.condition === 'not-authorized' || /not-authorized/.test(message))
    return 'the XMPP server refused the login (wrong username or password?)';
  if (/certificate|self.signed|CERT_|unable to verify/i.test(message))
    return `the XMPP server's TLS certificate was rejected (${message.split(';')[0]}); set trust-all-xmpp-certs for a self-signed one`;
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return 'cannot reach the XMPP server (connection refused)';
  return message;
}

export class BreweryOccupant {
  readonly #opts: BreweryOccupantOptions;
  readonly #occupantJid: string;
  readonly #closing = new AbortController();
  #status: OccupantStatus = { busy: false, healthy: true };
  #conn: XmppConnection | null = null;
  #state: OccupantState = 'connecting';
  #loop: Promise<void> | null = null;
  #closed: Promise<void> | null = null;
  #ids = 0;

  constructor(opts: BreweryOccupantOptions) {
    this.#opts = opts;
    this.#occupantJid = `${opts.roomJid}/${opts.nickname}`;
  }

  get occupantJid(): string {
    return this.#occupantJid;
  }

  get state(): OccupantState {
    return this.#state;
  }

  get status(): OccupantStatus {
    return this.#status;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Publishes a new status when it differs from the current one; resolves once sent (or not connected). */
  async setStatus(status: OccupantStatus): Promise<void> {
    if (status.busy === this.#status.busy && status.healthy === this.#status.healthy) return;
    this.#status = status;
    const conn = this.#conn;
    if (conn === null || this.#state !== 'joined') return;
    this.#opts.logger.info({ occupant: this.#occupantJid, busy: status.busy, healthy: status.healthy }, 'brewery presence');
    await conn.client
      .send(occupantPresence(this.#occupantJid, status, false))
      .catch((err: unknown) => this.#opts.logger.warn({ err }, 'could not send brewery presence'));
  }

  /**
   * Sends `<jibri status=…>` to the requester and waits for its (empty) result. False when it could not be
   * delivered: not connected, an error reply, or no reply in time (logged; the caller carries on).
   */
  async sendStatus(to: string, status: 'on' | 'off', failure: JibriFailure | null = null): Promise<boolean> {
    const conn = this.#conn;
    const log = this.#opts.logger.child({ occupant: this.#occupantJid });
    if (conn === null || this.#state !== 'joined') {
      log.warn({ status }, 'cannot send the session status: not connected to the brewery');
      return false;
    }
    try {
      await conn.iqCaller.request(jibriStatusIq(to, `scriba-${++this.#ids}`, status, failure), 15_000);
      log.info({ status, ...(failure ?? {}) }, 'sent session status to the requester');
      return true;
    } catch (err) {
      log.warn({ status, err: describeXmppError(err) }, 'the requester did not accept the session status');
      return false;
    }
  }

  /** Leaves the brewery and closes the connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      const conn = this.#conn;
      if (conn !== null) await this.#shutdown(conn, true);
      await this.#loop;
      this.#state = 'closed';
    })();
    return this.#closed;
  }

  async #shutdown(conn: XmppConnection, leave: boolean): Promise<void> {
    if (leave && this.#state === 'joined') await conn.client.send(leavePresence(this.#occupantJid)).catch(() => undefined);
    const waited = new AbortController();
    await Promise.race([conn.client.stop().catch(() => undefined), pause(3_000, waited.signal)]);
    waited.abort();
    // A stream that did not close in time: drop the socket.
    (conn.client.socket as { destroy?: () => void } | null)?.destroy?.();
  }

  async #run(): Promise<void> {
    const { logger } = this.#opts;
    const backoff = this.#opts.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
    let delay = backoff.initialMs;
    const signal = this.#closing.signal;
    while (!signal.aborted) {
      this.#state = 'connecting';
      const conn = createXmppConnection(this.#opts.login);
      this.#conn = conn;
      const lost = new Promise<string>((resolve) => {
        conn.client.on('status', (s: string) => (s === 'disconnect' || s === 'offline') && resolve('the connection closed'));
        conn.client.on('error', (err: unknown) => resolve(describeXmppError(err)));
      });
      conn.iqCallee.set(JIBRI_NS, 'jibri', (ctx) => this.#onIq(ctx.stanza));
      let joined = false;
      try {
        await Promise.race([conn.client.start(), lost.then((why) => Promise.reject(new Error(why)))]);
        await this.#join(conn, lost);
        joined = true;
        this.#state = 'joined';
        delay = backoff.initialMs;
        logger.info({ occupant: this.#occupantJid, server: `${this.#opts.login.host}:${this.#opts.login.port}` }, 'joined the brewery');
        const why = await this.#watch(conn, lost);
        if (!signal.aborted) logger.warn({ occupant: this.#occupantJid, reason: why }, 'lost the brewery connection; reconnecting');
      } catch (err) {
        if (!signal.aborted)
          logger.error(
            { occupant: this.#occupantJid, server: `${this.#opts.login.host}:${this.#opts.login.port}`, reason: describeXmppError(err) },
            'could not join the brewery; retrying',
          );
      }
      if (signal.aborted) return;
      this.#state = 'connecting';
      this.#conn = null;
      await this.#shutdown(conn, false);
      if (joined) this.#opts.onConnectionLost?.();
      await pause(delay, signal);
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  }

  /** Enters the room with the current status; unlocks it when this occupant created it. */
  async #join(conn: XmppConnection, lost: Promise<string>): Promise<void> {
    const outcome = new Promise<ReturnType<typeof joinOutcome>>((resolve) => {
      const onStanza = (stanza: Element): void => {
        const o = joinOutcome(stanza, this.#occupantJid);
        if (o.kind === 'joined' || o.kind === 'refused') {
          conn.client.off('stanza', onStanza);
          resolve(o);
        }
      };
      conn.client.on('stanza', onStanza);
    });
    await conn.client.send(occupantPresence(this.#occupantJid, this.#status, true));
    const waited = new AbortController();
    // Raw listener, not lib/abort's onAbort (which fires at once when already aborted): only a close during the wait ends it early.
    this.#closing.signal.addEventListener('abort', () => waited.abort(), { once: true });
    const timeout = pause(15_000, waited.signal).then(
      () => ({ kind: 'refused', condition: 'remote-server-timeout', text: 'no answer from the MUC service' }) as const,
    );
    let result;
    try {
      result = await Promise.race([outcome, timeout, lost.then((why) => Promise.reject(new Error(why)))]);
    } finally {
      waited.abort();
    }
    if (result.kind === 'refused') {
      throw new Error(`the brewery ${this.#opts.roomJid} refused the join: ${result.condition}${result.text ? ` (${result.text})` : ''}`);
    }
    if (result.kind === 'joined' && result.created)
      await conn.iqCaller.request(instantRoomConfig(this.#opts.roomJid, `scriba-${++this.#ids}`), 10_000);
  }

  /** Resolves with the reason once the connection is lost, the occupant is removed, or a ping goes unanswered. */
  async #watch(conn: XmppConnection, lost: Promise<string>): Promise<string> {
    const stopped = new AbortController();
    const removed = new Promise<string>((resolve) => {
      conn.client.on('stanza', (stanza: Element) => {
        if (joinOutcome(stanza, this.#occupantJid).kind === 'left') resolve('removed from the brewery');
      });
    });
    const pinger = (async (): Promise<string> => {
      const every = this.#opts.pingEveryMs ?? 30_000;
      for (;;) {
        await pause(every, stopped.signal);
        if (stopped.signal.aborted) return 'stopped';
        try {
          await conn.iqCaller.request(
            xml('iq', { type: 'get', to: this.#opts.login.domain, id: `scriba-${++this.#ids}` }, xml('ping', { xmlns: PING_NS })),
            10_000,
          );
        } catch {
          return 'the server did not answer a ping';
        }
      }
    })();
    // Raw listener, not lib/abort's onAbort (which fires at once when already aborted): only a close during the watch ends it.
    const closing = new Promise<string>((resolve) =>
      this.#closing.signal.addEventListener('abort', () => resolve('closing'), { once: true }),
    );
    try {
      return await Promise.race([lost, removed, pinger, closing]);
    } finally {
      stopped.abort();
    }
  }

  async #onIq(stanza: Element): Promise<Element> {
    const from = stanza.attrs['from'];
    const jibri = stanza.getChild('jibri', JIBRI_NS);
    if (from === undefined || jibri === undefined) return stanzaError('modify', 'bad-request');
    try {
      return await this.#opts.onJibriIq({ from, attrs: jibriAttrs(jibri) });
    } catch (err) {
      this.#opts.logger.error({ err, occupant: this.#occupantJid }, 'handling a jibri IQ failed');
      return stanzaError('cancel', 'internal-server-error');
    }
  }
}
