/**
 * Public keys of RS256 tokens from an ASAP key server (Prosody's asap_key_server): the key of `kid` lives at
 * `<server>/<hex(sha256(kid))>.pem`. Hashing the kid also means a kid can never steer the request path.
 * Keys are cached per kid; concurrent lookups of one kid share one fetch; failures are remembered briefly.
 * The fetch itself is injected (fetch-pem.ts in production), as is the clock.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { raceSignal } from '../../lib/abort.ts';
import { AuthConfigError, AuthError } from './auth-error.ts';
import { rsaPublicKeyFromPem } from './public-key.ts';

/** GETs `url` and returns the body; rejects (an `HttpStatusError` for non-200) when it cannot. */
export type FetchKey = (url: string, signal: AbortSignal) => Promise<string>;

export interface AsapKeySourceOptions {
  readonly server: string;
  readonly cacheSec: number;
  readonly fetchKey: FetchKey;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly timeoutMs?: number;
  readonly maxEntries?: number;
}

export interface AsapKeySource {
  /** The public key for `kid`. Throws AuthError('key_unavailable'); the caller's signal only stops its own wait. */
  get(kid: string, signal?: AbortSignal): Promise<KeyObject>;
}

export const KEY_FETCH_TIMEOUT_MS = 5000;
/** Long enough that a burst of tokens with an unknown kid costs one fetch, short enough that a newly published key is found soon. */
export const FAILURE_CACHE_MS = 5000;
/** Kids are chosen by whoever sends a token, before any signature is checked: the cache must stay bounded. */
export const MAX_CACHED_KIDS = 256;

/** Checks the configured server URL: http(s), no credentials, query or fragment (the key name is appended to the path). */
export function checkAsapServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new AuthConfigError('auth.asapKeyServer is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AuthConfigError('auth.asapKeyServer must be an http:// or https:// URL');
  if (url.username || url.password || url.search || url.hash) {
    throw new AuthConfigError('auth.asapKeyServer must be a plain base URL without credentials, query or fragment');
  }
  return server.replace(/\/+$/, '');
}

export function asapKeyUrl(server: string, kid: string): string {
  return `${server.replace(/\/+$/, '')}/${createHash('sha256').update(kid, 'utf8').digest('hex')}.pem`;
}

interface Entry {
  readonly key: Promise<KeyObject>;
  settled: boolean;
  expiresAtMs: number;
}

function why(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `the key server did not answer within ${timeoutMs} ms`;
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 404) return 'the key server has no key for this kid';
  if (typeof status === 'number') return `the key server answered HTTP ${status}`;
  // Connection details (addresses, system errors) stay in `cause` for the logs, not in the caller's message.
  return 'the key server could not be reached';
}

export function createAsapKeySource(options: AsapKeySourceOptions): AsapKeySource {
  const server = checkAsapServer(options.server);
  const cacheMs = Math.max(0, options.cacheSec) * 1000;
  const timeoutMs = options.timeoutMs ?? KEY_FETCH_TIMEOUT_MS;
  const maxEntries = options.maxEntries ?? MAX_CACHED_KIDS;
  const entries = new Map<string, Entry>();

  async function fetchKey(kid: string): Promise<KeyObject> {
    // The fetch is shared by every waiter, so it gets its own time limit instead of any one caller's signal.
    const signal = AbortSignal.timeout(timeoutMs);
    let pem: string;
    try {
      pem = await options.fetchKey(asapKeyUrl(server, kid), signal);
    } catch (err) {
      throw new AuthError('key_unavailable', `could not get the public key for this token's kid: ${why(err, signal.aborted, timeoutMs)}`, {
        cause: err,
      });
    }
    try {
      return rsaPublicKeyFromPem(pem);
    } catch (err) {
      throw new AuthError('key_unavailable', `the key server's answer for this token's kid is unusable: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  function load(kid: string): Entry {
    const entry: Entry = {
      key: fetchKey(kid).then(
        (key) => {
          entry.settled = true;
          entry.expiresAtMs = options.now() + cacheMs;
          return key;
        },
        (err: unknown) => {
          entry.settled = true;
          entry.expiresAtMs = options.now() + Math.min(cacheMs, FAILURE_CACHE_MS);
          throw err;
        },
      ),
      settled: false,
      expiresAtMs: Number.POSITIVE_INFINITY,
    };
    // Every caller awaits through waitFor; this only keeps an entry nobody waits for from being an unhandled rejection.
    entry.key.catch(() => undefined);
    return entry;
  }

  /** Drops the oldest settled entries; refuses a new lookup when only in-flight fetches fill the cache. */
  function makeRoom(): void {
    for (const [kid, entry] of entries) {
      if (entries.size < maxEntries) return;
      if (entry.settled) entries.delete(kid);
    }
    if (entries.size >= maxEntries) {
      throw new AuthError('key_unavailable', 'too many different kids are being looked up at once; try again shortly');
    }
  }

  return {
    async get(kid, signal) {
      signal?.throwIfAborted();
      let entry = entries.get(kid);
      if (entry?.settled && options.now() >= entry.expiresAtMs) {
        entries.delete(kid);
        entry = undefined;
      }
      if (!entry) {
        makeRoom();
        entry = load(kid);
        entries.set(kid, entry);
      }
      // Only this caller's wait ends on its signal (with the signal's reason); the shared fetch runs on.
      return raceSignal(entry.key, signal, (s) => s.reason);
    },
  };
}
