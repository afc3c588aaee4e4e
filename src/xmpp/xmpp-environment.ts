/**
 * The brewery side's configuration: which Jitsi deployments (Jibri "environments") this worker serves.
 * Filled from Jibri's own jibri.conf (src/config/jibri-conf.ts) or from Scriba's `xmpp` config section.
 * See docs/jitsi-deployment.md.
 */

/** One Jibri "environment": a Jitsi deployment whose brewery this worker joins. */
export interface XmppEnvironment {
  readonly name: string;
  /** XMPP server hosts to try in order (host names or IPs, no port). */
  readonly xmppServerHosts: readonly string[];
  /** The deployment's XMPP domain, e.g. 'meet.example.com'. */
  readonly xmppDomain: string;
  /** Meeting base URL, e.g. 'https://meet.example.com'; operator configuration, so trusted (http allowed when it says http). */
  readonly baseUrl: string;
  readonly controlLogin: {
    readonly domain: string;
    readonly username: string;
    /** secret */
    readonly password: string;
    readonly port: number;
  };
  readonly controlMuc: { readonly domain: string; readonly roomName: string; readonly nickname: string };
  /** The recorder's login on the hidden domain for joining meetings; null = join as guest. */
  readonly callLogin: {
    readonly domain: string;
    readonly username: string;
    /** secret */
    readonly password: string;
  } | null;
  /** Removed from the room JID's domain before deriving the meeting URL (Jibri default 'conference.'). */
  readonly stripFromRoomDomain: string;
  /** Stop a session after this many seconds; 0 = no limit (Jibri's usage-timeout, given in minutes there). */
  readonly usageTimeoutSec: number;
  readonly trustAllXmppCerts: boolean;
}

/** Brewery-wide settings read from jibri.conf or Scriba's own config. */
export interface XmppSettings {
  readonly environments: readonly XmppEnvironment[];
  /** Jibri's single-use-mode: the worker stops taking brewery work after its first session (exit after it). */
  readonly singleUseMode: boolean;
}
