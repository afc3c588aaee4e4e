/**
 * Signed, expiring links to local-store objects (pure): `<publicBaseUrl>/v1/files/<key>?exp=<unix s>&sig=<b64url>`
 * where sig = HMAC-SHA256(secret, "scriba-link-v1\n<key>\n<exp>"). The key is signed decoded, and only its
 * canonical URL encoding is accepted, so one link names exactly one file. Several secrets may verify (the
 * first signs): rotate by prepending the new one and dropping the old after the longest link TTL.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeKeyPath, encodeKeyPath } from './object-key.ts';

export const LOCAL_LINK_PREFIX = '/v1/files/';
/** 32 bytes of entropy is the point of HMAC-SHA256; shorter secrets are refused at construction. */
export const MIN_LINK_SECRET_LENGTH = 32;

export type LinkSecrets = string | readonly string[];

export type LinkVerdict =
  | { readonly ok: true; readonly key: string; readonly expSec: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' };

const SIG_RE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding
const EXP_RE = /^(0|[1-9][0-9]{0,11})$/; // canonical digits only: one spelling per link

function secretList(secrets: LinkSecrets): readonly string[] {
  return typeof secrets === 'string' ? [secrets] : secrets;
}

function mac(key: string, expSec: number, secret: string): Buffer {
  return createHmac('sha256', secret).update(`scriba-link-v1\n${key}\n${expSec}`).digest();
}

export function localLinkSignature(key: string, expSec: number, secrets: LinkSecrets): string {
  const first = secretList(secrets)[0];
  if (first === undefined) throw new Error('no link secret');
  return mac(key, expSec, first).toString('base64url');
}

/** `publicBaseUrl` may carry a path (a reverse proxy's prefix); a trailing '/' is ignored. */
export function buildLocalLink(publicBaseUrl: string, key: string, expSec: number, secrets: LinkSecrets): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const sig = localLinkSignature(key, expSec, secrets);
  return `${base}${LOCAL_LINK_PREFIX}${encodeKeyPath(key)}?exp=${expSec}&sig=${sig}`;
}

function single(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  return values.length === 1 ? (values[0] ?? null) : null;
}

/**
 * Checks a request for a link. `path` is the raw (still percent-encoded) URL path, `query` its search part.
 * A link is refused as malformed, then on its signature (before anything about expiry is revealed), then when
 * `nowSec` is past `exp`.
 */
export function verifyLocalLink(path: string, query: URLSearchParams | string, secrets: LinkSecrets, nowSec: number): LinkVerdict {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  if (!path.startsWith(LOCAL_LINK_PREFIX)) return { ok: false, reason: 'malformed' };
  const key = decodeKeyPath(path.slice(LOCAL_LINK_PREFIX.length));
  const exp = single(params, 'exp');
  const sig = single(params, 'sig');
  if (key === null || exp === null || sig === null || !EXP_RE.test(exp) || !SIG_RE.test(sig)) {
    return { ok: false, reason: 'malformed' };
  }
  const expSec = Number(exp);
  const given = Buffer.from(sig, 'base64url');
  // The last character carries 2 spare bits: accept only the canonical spelling, one string per signature.
  if (given.toString('base64url') !== sig) return { ok: false, reason: 'malformed' };
  const valid = secretList(secrets).some((secret) => {
    const expected = mac(key, expSec, secret);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) return { ok: false, reason: 'bad_signature' };
  if (nowSec > expSec) return { ok: false, reason: 'expired' };
  return { ok: true, key, expSec };
}
