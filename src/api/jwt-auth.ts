/** The API's authentication with Jitsi JWTs: the verifier and rules of src/api/auth behind the routes' ApiAuth. */
import type { ApiAuth } from './api-auth.ts';
import {
  authorizeRead,
  authorizeStart,
  authorizeStop,
  bearerToken,
  createTokenVerifier,
  initiatorOf,
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
    // JaaS tokens name the app in `sub`; a wildcard names none (the deployment's default applies).
    appIdOf: (token) => (token.subject !== null && token.subject !== '*' ? token.subject : null),
  };
}
