/**
 * JaaS webhook signatures (docs/webhooks.md, "Signature"):
 * `X-Jaas-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256(key = whole secret incl. "whsec_", t + "." + rawBody)>`.
 * Signing is ours; verifying is exported for receivers (and our tests).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Jaas-Signature';
export const DEFAULT_TOLERANCE_SEC = 300;

type RawBody = string | Uint8Array;

function hmac(secret: string, t: number | string, rawBody: RawBody): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
}

/** The header value for one attempt. Sign the exact bytes that are sent. */
export function signWebhook(secret: string, rawBody: RawBody, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmac(secret, t, rawBody).toString('base64')}`;
}

export interface ParsedSignatureHeader {
  readonly timestamp: number;
  /** `t` exactly as written: it is what was signed. */
  readonly t: string;
  readonly v1: readonly string[];
}

/** Pure: `t=…,v1=…[,v1=…][,v0=…]`; other schemes are ignored. Null when there is no usable `t`. */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | null {
  let t: string | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    // Split at the first '=' only: base64 padding ends in '='.
    const value = part.slice(eq + 1).trim();
    if (key === 't' && t === null && /^\d{1,12}$/.test(value)) t = value;
    else if (key === 'v1' && value !== '') v1.push(value);
  }
  return t === null ? null : { timestamp: Number(t), t, v1 };
}

export type SignatureFailure =
  | 'missing_header'
  | 'malformed_header'
  | 'no_secret'
  | 'no_v1_signature'
  | 'timestamp_out_of_tolerance'
  | 'signature_mismatch';

export type SignatureVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: SignatureFailure };

export interface VerifyWebhookSignatureInput {
  /** The X-Jaas-Signature header as received. */
  readonly header: string | null | undefined;
  /** The body exactly as received (before any JSON parsing). */
  readonly rawBody: RawBody;
  /** Every secret currently accepted (more than one during a rotation). */
  readonly secrets: readonly string[];
  /** Largest accepted distance between `t` and now, either way. */
  readonly toleranceSec?: number;
  /** Now, in unix seconds; default the clock. */
  readonly nowSec?: number;
}

/** Receiver side: true (`ok`) when any v1 signature matches any secret and `t` is within the tolerance. */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): SignatureVerification {
  if (input.header === null || input.header === undefined || input.header === '') return { ok: false, reason: 'missing_header' };
  const parsed = parseSignatureHeader(input.header);
  if (parsed === null) return { ok: false, reason: 'malformed_header' };
  const secrets = input.secrets.filter((s) => s !== '');
  if (secrets.length === 0) return { ok: false, reason: 'no_secret' };
  if (parsed.v1.length === 0) return { ok: false, reason: 'no_v1_signature' };
  const nowSec = input.nowSec ?? Date.now() / 1000;
  // Both ways: a timestamp far in the future is as suspicious as an old one (a replay window).
  if (Math.abs(nowSec - parsed.timestamp) > (input.toleranceSec ?? DEFAULT_TOLERANCE_SEC)) {
    return { ok: false, reason: 'timestamp_out_of_tolerance' };
  }
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(secret, parsed.t, input.rawBody);
    for (const candidate of parsed.v1) {
      const given = Buffer.from(candidate, 'base64');
      // timingSafeEqual needs equal lengths; the length of a MAC is no secret. No early exit either.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  }
  return matched ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'signature_mismatch' };
}
