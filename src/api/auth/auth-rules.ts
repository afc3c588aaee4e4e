/**
 * Who may do what with a verified token (Prosody's rules, docs/authentication.md), as pure functions that throw
 * AuthError(403) on refusal. docs/authentication.md has the operator's version of these rules.
 *
 * - Meeting: `room` is '*' or the room, case-insensitively (Prosody lowercases room names); `sub` is '*', or
 *   the tenant for `/<tenant>/<room>` URLs, or the meeting host for `/<room>` URLs. A token without `sub` is
 *   refused: otherwise a token for one tenant would open every tenant-less meeting on a shared deployment.
 * - Start: each requested mode needs its feature (file → recording, stream → livestreaming, transcription →
 *   transcription) set to true; a token with no `features` at all needs `moderator: true` instead. An explicit
 *   feature grant is the issuer's decision, so it does not also demand moderator.
 * - Stop: a moderator of that meeting. Read: any token for that meeting.
 */
import type { MeetingTarget } from '../../domain/meeting-target.ts';
import type { JobInitiator, JobKind } from '../../domain/job-request.ts';
import { AuthError } from './auth-error.ts';
import type { VerifiedToken } from './verified-token.ts';

/** The parts of a meeting a token is matched against; `host` is the meeting's hostname (no port). */
export interface AuthTarget {
  readonly room: string;
  readonly tenant: string | null;
  readonly host: string;
}

/** The `context.features` flag each mode needs (Jitsi's names). */
export const FEATURE_OF_KIND: Readonly<Record<JobKind, string>> = {
  file: 'recording',
  stream: 'livestreaming',
  transcription: 'transcription',
};

const MODE_LABEL: Readonly<Record<JobKind, string>> = {
  file: 'recording',
  stream: 'live streaming',
  transcription: 'transcription',
};

export function authTargetOf(target: MeetingTarget): AuthTarget {
  return { room: target.room, tenant: target.tenant, host: new URL(target.baseUrl).hostname };
}

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, '');
const same = (a: string, b: string): boolean => normalize(a) === normalize(b);

function authorizeMeeting(token: VerifiedToken, target: AuthTarget): void {
  if (token.room !== '*' && !same(token.room, target.room)) {
    throw new AuthError('wrong_room', `the token is for another room, not "${target.room}"`);
  }
  const where = target.tenant === null ? `the domain "${target.host}"` : `the tenant "${target.tenant}"`;
  if (token.subject === null) {
    throw new AuthError('wrong_tenant', `the token has no "sub" claim; it needs "*" or ${where}`);
  }
  if (token.subject !== '*' && !same(token.subject, target.tenant ?? target.host)) {
    throw new AuthError('wrong_tenant', `the token's "sub" claim is not ${where}`);
  }
}

/** May this token start a session with these outputs in this meeting? Throws AuthError(403) naming every missing grant. */
export function authorizeStart(token: VerifiedToken, target: AuthTarget, kinds: readonly JobKind[]): void {
  if (kinds.length === 0) throw new Error('authorizeStart needs the kinds the request asks for');
  authorizeMeeting(token, target);
  const features = token.features;
  if (features === null) {
    if (!token.user.moderator) {
      throw new AuthError(
        'not_moderator',
        'only a moderator can start a recording, live stream or transcription (the token has no features, so it needs moderator: true)',
      );
    }
    return;
  }
  const granted = (kind: JobKind): boolean => Object.hasOwn(features, FEATURE_OF_KIND[kind]) && features[FEATURE_OF_KIND[kind]] === true;
  const missing = [...new Set(kinds)].filter((kind) => !granted(kind));
  if (missing.length > 0) {
    const modes = missing.map((k) => MODE_LABEL[k]).join(' and ');
    const flags = missing.map((k) => `"${FEATURE_OF_KIND[k]}"`).join(', ');
    throw new AuthError('missing_feature', `the token does not allow ${modes} (features ${flags} must be true)`);
  }
}

/** Stopping ends everyone's recording, so it takes a moderator of that meeting whatever the features say. */
export function authorizeStop(token: VerifiedToken, target: AuthTarget): void {
  authorizeMeeting(token, target);
  if (!token.user.moderator) throw new AuthError('not_moderator', 'only a moderator of this meeting can stop its sessions');
}

/**
 * Download links, storage keys and the initiator's e-mail: a moderator of that meeting, or whoever started
 * the session (same user id). Anyone else with a token for the room sees status only.
 */
export function maySeeDetails(token: VerifiedToken, target: AuthTarget, initiator: JobInitiator | null): boolean {
  try {
    authorizeMeeting(token, target);
  } catch {
    return false;
  }
  if (token.user.moderator) return true;
  return token.user.id !== null && initiator !== null && initiator.id === token.user.id;
}

/** Reading a session's status takes any valid token for that meeting. */
export function authorizeRead(token: VerifiedToken, target: AuthTarget): void {
  authorizeMeeting(token, target);
}

/** The token of an `Authorization: Bearer <token>` header. Throws AuthError('missing_token'). */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new AuthError('missing_token', 'send a Jitsi JWT in an "Authorization: Bearer <token>" header');
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match?.[1]) throw new AuthError('missing_token', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

/** Who started a session, for metadata and webhooks (initiatorId), taken from the token rather than the request body. */
export function initiatorOf(token: VerifiedToken): JobInitiator {
  return { id: token.user.id, name: token.user.name, email: token.user.email };
}
