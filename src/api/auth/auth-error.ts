/**
 * Why a request was refused. The code is stable (clients and tests match on it); the status follows from it:
 * 401 when we cannot tell who is calling (no, bad or expired token), 403 when we can and the answer is no.
 * Messages are for people and never hold the token, a secret or a claim value the caller did not choose.
 */
export type AuthErrorCode =
  | 'missing_token'
  | 'invalid_token'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'bad_signature'
  | 'unsupported_algorithm'
  | 'missing_kid'
  | 'key_unavailable'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_room'
  | 'wrong_tenant'
  | 'missing_feature'
  | 'not_moderator';

export type AuthStatus = 401 | 403;

export const AUTH_ERROR_STATUS: Readonly<Record<AuthErrorCode, AuthStatus>> = {
  missing_token: 401,
  invalid_token: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  bad_signature: 401,
  unsupported_algorithm: 401,
  missing_kid: 401,
  key_unavailable: 401,
  // A token from an issuer or for an audience we do not trust proves nothing about the caller.
  wrong_issuer: 401,
  wrong_audience: 401,
  wrong_room: 403,
  wrong_tenant: 403,
  missing_feature: 403,
  not_moderator: 403,
};

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: AuthStatus;

  constructor(code: AuthErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.status = AUTH_ERROR_STATUS[code];
  }
}

/** The auth configuration cannot work (thrown when the verifier is built, so a bad setup fails at start-up). */
export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}
