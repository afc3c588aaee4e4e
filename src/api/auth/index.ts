/** Token authentication and authorization of the control API (docs/authentication.md). */
export { AUTH_ERROR_STATUS, AuthConfigError, AuthError, type AuthErrorCode, type AuthStatus } from './auth-error.ts';
export {
  FEATURE_OF_KIND,
  authTargetOf,
  authorizeRead,
  authorizeStart,
  authorizeStop,
  bearerToken,
  initiatorOf,
  maySeeDetails,
  type AuthTarget,
} from './auth-rules.ts';
export { asapKeyUrl, type FetchKey } from './asap-key-source.ts';
export { createTokenVerifier, type AuthAlgorithm, type AuthOptions, type TokenVerifier, type TokenVerifierDeps } from './token-verifier.ts';
export { toVerifiedToken, type VerifiedToken, type VerifiedUser } from './verified-token.ts';
