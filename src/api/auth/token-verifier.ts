/**
 * Checks a Jitsi JWT the way Prosody does (docs/authentication.md): signature, `exp` (required) and `nbf` with no
 * leeway, `iss` and `aud` against the accepted lists, then the claim shapes.
 *
 * Algorithm confusion is ruled out by choosing the key from the algorithm, never the other way round: HS*
 * tokens are checked only against the shared secrets, RS256 tokens only against RSA public keys, and jose is
 * told the one algorithm it may accept for that key. `none` can never be configured.
 */
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { AuthConfigError, AuthError } from './auth-error.ts';
import { createAsapKeySource, type AsapKeySource, type FetchKey } from './asap-key-source.ts';
import { fetchPem } from './fetch-pem.ts';
import { rsaPublicKeyFromPem } from './public-key.ts';
import { toVerifiedToken, type VerifiedToken } from './verified-token.ts';

export type AuthAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256';

/** config.auth without `enabled`: the lead passes config.auth as it is. */
export interface AuthOptions {
  readonly algorithms: readonly AuthAlgorithm[];
  /** HS* shared secrets (Prosody's app_secret); several while rotating. */
  readonly secrets: readonly string[];
  /** PEM RSA public key for RS256; '' for none. */
  readonly publicKey: string;
  /** Base URL of an ASAP key server; '' for none. */
  readonly asapKeyServer: string;
  readonly asapCacheSec: number;
  /** Accepted `iss` values; empty or '*' = any. */
  readonly issuers: readonly string[];
  /** Accepted `aud` values; empty or '*' = any. */
  readonly audiences: readonly string[];
}

export interface TokenVerifierDeps {
  /** Fetches a key server document (default: fetch-pem.ts over node:http/https). */
  readonly fetchKey?: FetchKey;
  /** Epoch milliseconds (default Date.now). */
  readonly now?: () => number;
  /** Time limit of one key fetch (default 5 s). */
  readonly keyFetchTimeoutMs?: number;
}

export interface TokenVerifier {
  /** The configured algorithms that have a key, i.e. the ones a token can actually use. */
  readonly algorithms: readonly AuthAlgorithm[];
  /** Resolves the checked claims, or throws AuthError (401). An aborted signal rejects with its reason. */
  verify(token: string, signal?: AbortSignal): Promise<VerifiedToken>;
}

const KNOWN: ReadonlySet<string> = new Set<AuthAlgorithm>(['HS256', 'HS384', 'HS512', 'RS256']);
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Far above any real Jitsi token (~1 KB); keeps a hostile header from costing much. */
const MAX_TOKEN_LENGTH = 16_384;

const isHs = (alg: AuthAlgorithm): boolean => alg.startsWith('HS');

/** An attacker-chosen `alg` is echoed only when it looks like an algorithm name. */
const algName = (alg: unknown): string => (typeof alg === 'string' && /^[A-Za-z0-9]{1,16}$/.test(alg) ? alg : 'an unknown algorithm');

/** Prosody's asap_accepted_issuers/audiences: an empty list or '*' accepts any value. */
const acceptsAny = (list: readonly string[]): boolean => list.length === 0 || list.includes('*');

function fromJose(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) return new AuthError('token_expired', 'the token has expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') {
      return new AuthError('token_not_yet_valid', 'the token is not valid yet (its nbf is in the future)', { cause: err });
    }
    if (err.claim === 'exp' && err.reason === 'missing') {
      return new AuthError('invalid_token', 'the token has no "exp" claim; tokens must expire', { cause: err });
    }
    return new AuthError('invalid_token', `the token's "${err.claim}" claim is not valid`, { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('bad_signature', 'the token signature does not match any configured key', { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new AuthError('unsupported_algorithm', 'the token is signed with an algorithm this server does not accept', { cause: err });
  }
  return new AuthError('invalid_token', 'the token is malformed', { cause: err });
}

function configuredPublicKey(pem: string): KeyObject | null {
  if (pem.trim() === '') return null;
  try {
    return rsaPublicKeyFromPem(pem);
  } catch (err) {
    throw new AuthConfigError(`auth.publicKey: ${(err as Error).message}`);
  }
}

/** Builds the verifier. Throws AuthConfigError when the options cannot work (bad key or URL, no usable algorithm). */
export function createTokenVerifier(options: AuthOptions, deps: TokenVerifierDeps = {}): TokenVerifier {
  const now = deps.now ?? Date.now;
  const encoder = new TextEncoder();
  const secrets = options.secrets.filter((s) => s !== '').map((s) => encoder.encode(s));
  const publicKey = configuredPublicKey(options.publicKey);
  const asap: AsapKeySource | null =
    options.asapKeyServer.trim() === ''
      ? null
      : createAsapKeySource({
          server: options.asapKeyServer.trim(),
          cacheSec: options.asapCacheSec,
          fetchKey: deps.fetchKey ?? fetchPem,
          now,
          ...(deps.keyFetchTimeoutMs === undefined ? {} : { timeoutMs: deps.keyFetchTimeoutMs }),
        });
  // An algorithm without a key is dropped rather than fatal, so an operator who sets only secrets need not also trim the default list.
  const hasKey = (alg: AuthAlgorithm): boolean => (isHs(alg) ? secrets.length > 0 : publicKey !== null || asap !== null);
  const algorithms = options.algorithms.filter((alg) => KNOWN.has(alg) && hasKey(alg));
  if (algorithms.length === 0) {
    throw new AuthConfigError(
      `auth is enabled but none of auth.algorithms (${options.algorithms.join(', ')}) has a key: set auth.secrets for HS256/HS384/HS512, or auth.publicKey or auth.asapKeyServer for RS256`,
    );
  }

  async function rsaKey(kid: unknown, signal: AbortSignal | undefined): Promise<KeyObject> {
    if (kid !== undefined && (typeof kid !== 'string' || kid === '' || kid.length > 1024)) {
      throw new AuthError('invalid_token', 'the token\'s "kid" header must be a non-empty string');
    }
    // A kid names a key on the key server; without a key server the one configured key is used whatever the kid.
    if (asap && typeof kid === 'string') return asap.get(kid, signal);
    if (publicKey) return publicKey;
    throw new AuthError('missing_kid', 'RS256 tokens need a "kid" header naming their key on the ASAP key server');
  }

  async function check(token: string, key: Uint8Array | KeyObject, alg: AuthAlgorithm): Promise<Record<string, unknown>> {
    const verifyOptions: JWTVerifyOptions = { algorithms: [alg], requiredClaims: ['exp'], clockTolerance: 0, currentDate: new Date(now()) };
    const { payload } = await jwtVerify(token, key, verifyOptions);
    return payload;
  }

  async function verifySignature(
    token: string,
    alg: AuthAlgorithm,
    kid: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    if (!isHs(alg)) return check(token, await rsaKey(kid, signal), alg);
    // Rotation: try each secret; only a signature mismatch moves on (any other failure means the key was right).
    for (const secret of secrets) {
      try {
        return await check(token, secret, alg);
      } catch (err) {
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      }
    }
    throw new AuthError('bad_signature', 'the token signature does not match any configured secret');
  }

  return {
    algorithms,
    async verify(token, signal) {
      signal?.throwIfAborted();
      if (typeof token !== 'string' || token.trim() === '') throw new AuthError('missing_token', 'no token was given');
      if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) {
        throw new AuthError('invalid_token', 'the token is not a signed JWT (header.payload.signature in base64url)');
      }
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(token) as Record<string, unknown>;
      } catch (err) {
        throw new AuthError('invalid_token', 'the token header is not valid base64url JSON', { cause: err });
      }
      const alg = header['alg'];
      if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg)) {
        throw new AuthError(
          'unsupported_algorithm',
          `tokens signed with ${algName(alg)} are not accepted here (accepted: ${algorithms.join(', ')})`,
        );
      }
      let payload: Record<string, unknown>;
      try {
        payload = await verifySignature(token, alg as AuthAlgorithm, header['kid'], signal);
      } catch (err) {
        if (signal?.aborted && err === signal.reason) throw err;
        throw fromJose(err);
      }
      const verified = toVerifiedToken(payload);
      if (!acceptsAny(options.issuers) && !options.issuers.includes(verified.issuer)) {
        throw new AuthError('wrong_issuer', 'the token comes from an issuer this server does not accept');
      }
      if (!acceptsAny(options.audiences) && !verified.audience.some((a) => options.audiences.includes(a))) {
        throw new AuthError('wrong_audience', 'the token is meant for an audience this server does not accept');
      }
      return verified;
    },
  };
}
