/**
 * The few parts of xmpp.js (@xmpp/*, plain JavaScript without type declarations) Scriba uses, typed as far as
 * Scriba relies on them.
 */
declare module '@xmpp/xml' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    text(): string;
    append(...children: (Element | string)[]): Element;
    toString(): string;
  }
  type Child = Element | string | null | undefined | false;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Child | Child[])[]): Element;
  export default xml;
}

declare module '@xmpp/client-core' {
  import type { Element } from '@xmpp/xml';
  import type { EventEmitter } from 'node:events';
  export interface JID {
    toString(): string;
    bare(): JID;
  }
  export class Client extends EventEmitter {
    constructor(options: { service: string; domain: string; timeout?: number });
    status: string;
    jid: JID | null;
    timeout: number;
    transports: unknown[];
    socket: unknown;
    options: { service: string; domain: string; lang?: string };
    start(): Promise<JID>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    isSecure(): boolean;
    restart(): Promise<unknown>;
    _attachSocket(socket: unknown): void;
  }
  export function jid(local: string, domain: string, resource?: string): JID;
}

declare module '@xmpp/tcp' {
  export default function tcp(deps: { entity: unknown }): void;
}
declare module '@xmpp/middleware' {
  export interface Middleware {
    use(fn: (ctx: unknown, next: () => Promise<unknown>) => unknown): unknown;
  }
  export default function middleware(deps: { entity: unknown }): Middleware;
}
declare module '@xmpp/stream-features' {
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface StreamFeatures {
    use(
      name: string,
      xmlns: string,
      handler: (ctx: { entity: import('@xmpp/client-core').Client }, next: () => Promise<unknown>, feature: Element) => Promise<unknown>,
    ): unknown;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}
declare module '@xmpp/iq/caller.js' {
  import type { Element } from '@xmpp/xml';
  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    set(child: Element, to?: string, timeout?: number): Promise<Element>;
  }
  export default function iqCaller(deps: { middleware: unknown; entity: unknown }): IqCaller;
}
declare module '@xmpp/iq/callee.js' {
  import type { Element } from '@xmpp/xml';
  export interface IqContext {
    readonly stanza: Element;
    readonly element: Element;
    readonly from: string;
    readonly id: string;
  }
  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: IqContext) => Element | object | Promise<Element | object>): void;
    set(ns: string, name: string, handler: (ctx: IqContext) => Element | object | Promise<Element | object>): void;
  }
  export default function iqCallee(deps: { middleware: unknown; entity: unknown }): IqCallee;
}
declare module '@xmpp/sasl' {
  export default function sasl(
    deps: { streamFeatures: unknown; saslFactory: unknown },
    onAuthenticate: (authenticate: (credentials: object, mechanism: string) => Promise<void>, mechanisms: string[]) => Promise<void>,
  ): void;
}
declare module '@xmpp/sasl-plain' {
  export default function plain(factory: unknown): unknown;
}
declare module '@xmpp/sasl-scram-sha-1' {
  export default function scramsha1(factory: unknown): unknown;
}
declare module '@xmpp/resource-binding' {
  export default function resourceBinding(deps: { iqCaller: unknown; streamFeatures: unknown }, resource?: string): void;
}
declare module 'saslmechanisms' {
  export default class SASLFactory {}
}
declare module '@xmpp/tls/lib/Socket.js' {
  import { EventEmitter } from 'node:events';
  export default class Socket extends EventEmitter {
    socket: unknown;
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}
