/** The API's authentication with Jitsi JWTs: the verifier and rules of src/api/auth behind the routes' ApiAuth. */
import type { ApiAuth } from './api-auth.ts';
import {
  authorizeRead,
  authorizeStart,
  authorizeStop,
  bearerToken,
  createTokenVerifier,
  initiatorOf,
  maySeeDetails,
  type AuthOptions,
  type TokenVerifierDeps,
  type VerifiedToken,
} from './auth/index.ts';

export function jwtAuth(options: AuthOptions, deps: TokenVerifierDeps = {}): ApiAuth<VerifiedToken> {
  const verifier = createTokenVerifier(options, deps);
  return {
    authenticate: (authorization, signal) => verifier.verify(bearerToken(authorization), signal),
    authorizeStart,
    authorizeStop,
    authorizeRead,
    initiatorOf,
    maySeeDetails,
    // Admission counts per tenant (`sub`) and per user; a wildcard `sub` is one tenant of its own.
    quotaKeysOf: (token) => ({ tenant: token.subject ?? '*', user: token.user.id }),
    callerIdOf: (token) => `${token.subject ?? '-'}/${token.user.id ?? '-'}`,
    // JaaS tokens name the app in `sub`; a wildcard names none (the deployment's default applies).
    appIdOf: (token) => (token.subject !== null && token.subject !== '*' ? token.subject : null),
  };
}
