/**
 * Mints Jitsi-style JWTs for tests: properly signed HS256/384/512 and RS256 tokens via jose, and hand-made ones that a
 * library would refuse to produce (alg none, an RS256 header over an HMAC signature, an HMAC keyed with a
 * public key's PEM) to prove the verifier refuses them.
 */
import { createHmac, createSign, KeyObject } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type JWTHeaderParameters } from 'jose';

export const TEST_SECRET = 'scriba-test-secret-0123456789abcdef0123456789';
/** A fixed clock: 2025-01-01T00:00:00Z. */
export const NOW_MS = Date.UTC(2025, 0, 1);
export const NOW_SEC = NOW_MS / 1000;

export type Claims = Record<string, unknown>;

export interface RsaTestKey {
  readonly privateKey: CryptoKey;
  readonly publicKeyPem: string;
}

export async function rsaTestKey(): Promise<RsaTestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicKeyPem: await exportSPKI(publicKey) };
}

/** A moderator token for meet.example.com/MyRoom valid for an hour around NOW; `overrides` replaces top-level claims (undefined removes one). */
export function claims(overrides: Claims = {}): Claims {
  const base: Claims = {
    iss: 'scriba-tests',
    aud: 'jitsi',
    sub: 'meet.example.com',
    room: 'myroom',
    nbf: NOW_SEC - 60,
    exp: NOW_SEC + 3600,
    context: { user: { id: 'u-1', name: 'Ada', email: 'ada@example.com', avatar: null, moderator: true } },
  };
  const out: Claims = { ...base, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

export function withUser(user: Claims, rest: Claims = {}): Claims {
  return claims({ context: { user }, ...rest });
}

export async function mintHs(
  payload: Claims,
  secret = TEST_SECRET,
  alg: 'HS256' | 'HS384' | 'HS512' = 'HS256',
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(new TextEncoder().encode(secret));
}

export async function mintRs(
  payload: Claims,
  privateKey: CryptoKey | KeyObject,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'RS256' }).sign(privateKey);
}

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** `header.payload.` with no signature, e.g. `{ alg: 'none' }`. */
export function mintUnsigned(payload: Claims, header: Claims = { alg: 'none', typ: 'JWT' }): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** Any header over an HMAC-SHA256 signature with any key bytes: the classic confusion attack when key = a public key's PEM. */
export function mintHmacRaw(payload: Claims, header: Claims, key: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Any header over an RSA-SHA256 signature (to put an HS256 header on an RSA signature). */
export function mintRsaRaw(payload: Claims, header: Claims, privateKey: CryptoKey): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(KeyObject.from(privateKey)).toString('base64url')}`;
}
