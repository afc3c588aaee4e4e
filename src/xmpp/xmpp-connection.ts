/**
 * One client-to-server XMPP connection (xmpp.js parts): TCP, STARTTLS, SASL (SCRAM-SHA-1 or PLAIN, PLAIN only
 * over TLS), resource binding, IQ caller and callee, XEP-0199 ping answers. Composed here rather than with
 * @xmpp/client so that `trust-all-xmpp-certs` can switch certificate checks off for this connection only, and
 * without xmpp.js's own reconnect (the occupant reconnects with back-off and rejoins the brewery itself).
 */
import tls from 'node:tls';
import net from 'node:net';
import { Client, jid } from '@xmpp/client-core';
import iqCallee, { type IqCallee } from '@xmpp/iq/callee.js';
import iqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import middleware from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import sasl from '@xmpp/sasl';
import plain from '@xmpp/sasl-plain';
import scramsha1 from '@xmpp/sasl-scram-sha-1';
import streamFeatures from '@xmpp/stream-features';
import tcp from '@xmpp/tcp';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import { xml } from '@xmpp/xml';
import SASLFactory from 'saslmechanisms';

export interface XmppLogin {
  readonly host: string;
  readonly port: number;
  /** The login's XMPP domain (the stream's `to`, and the certificate name checked). */
  readonly domain: string;
  readonly username: string;
  /** Secret: never logged. */
  readonly password: string;
  /** Jibri's trust-all-xmpp-certs: accept any server certificate on this connection. */
  readonly trustAllCerts: boolean;
  readonly resource?: string;
  /** Stanza timeouts (ms). */
  readonly timeoutMs?: number;
}

export interface XmppConnection {
  readonly client: Client;
  readonly iqCaller: IqCaller;
  readonly iqCallee: IqCallee;
}

const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** Builds (does not start) a connection. `client.start()` connects and logs in; errors are emitted as 'error'. */
export function createXmppConnection(login: XmppLogin): XmppConnection {
  const client = new Client({ service: `xmpp://${login.host}:${login.port}`, domain: login.domain, timeout: login.timeoutMs ?? 10_000 });
  client.jid = jid(login.username, login.domain);
  tcp({ entity: client });
  const mw = middleware({ entity: client });
  const features = streamFeatures({ middleware: mw });
  const caller = iqCaller({ middleware: mw, entity: client });
  const callee = iqCallee({ middleware: mw, entity: client });
  features.use('starttls', TLS_NS, async ({ entity }, next) => {
    const socket = entity.socket;
    if (!(socket instanceof net.Socket) || socket instanceof tls.TLSSocket) return next();
    const reply = await entity.sendReceive(xml('starttls', { xmlns: TLS_NS }));
    if (!reply.is('proceed', TLS_NS)) throw new Error('the server refused STARTTLS');
    const secure = new TlsSocket();
    secure.connect({ socket, host: login.domain, servername: login.domain, rejectUnauthorized: !login.trustAllCerts });
    await new Promise<void>((resolve, reject) => {
      secure.once('connect', () => resolve());
      secure.once('error', reject);
    });
    entity._attachSocket(secure);
    await entity.restart();
  });
  const factory = new SASLFactory();
  scramsha1(factory);
  plain(factory);
  sasl({ streamFeatures: features, saslFactory: factory }, async (authenticate, mechanisms) => {
    // PLAIN sends the password itself: only over TLS.
    const usable = client.isSecure() ? mechanisms : mechanisms.filter((m) => m !== 'PLAIN');
    const mechanism = usable[0];
    if (mechanism === undefined) throw new Error('no usable SASL mechanism (PLAIN needs TLS)');
    await authenticate({ username: login.username, password: login.password }, mechanism);
  });
  resourceBinding({ iqCaller: caller, streamFeatures: features }, login.resource);
  callee.get('urn:xmpp:ping', 'ping', () => ({}));
  return { client, iqCaller: caller, iqCallee: callee };
}
