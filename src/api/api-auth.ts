/**
 * What the routes need of authentication: who is calling and what they may do. The real one is built from
 * the Jitsi JWT verifier and rules (src/api/auth/); with auth disabled every caller is a moderator.
 */
import type { JobInitiator, JobKind } from '../domain/job-request.ts';

export interface RoomTarget {
  readonly room: string;
  readonly tenant: string | null;
  readonly host: string;
}

export interface ApiAuth<Caller = unknown> {
  /** Throws an error with `status` 401 and a `code` when there is no valid token. */
  authenticate(authorization: string | undefined, signal: AbortSignal): Promise<Caller>;
  /** These throw an error with `status` 403 when the caller may not. */
  authorizeStart(caller: Caller, target: RoomTarget, kinds: readonly JobKind[]): void;
  authorizeStop(caller: Caller, target: RoomTarget): void;
  authorizeRead(caller: Caller, target: RoomTarget): void;
  initiatorOf(caller: Caller): JobInitiator | null;
  /** Whether the caller sees links, storage keys and the initiator's e-mail (a moderator, or the initiator). */
  maySeeDetails(caller: Caller, target: RoomTarget, initiator: JobInitiator | null): boolean;
  /** Who the caller's sessions count against for admission: the tenant (JWT `sub`) and the user, if known. */
  quotaKeysOf(caller: Caller): { readonly tenant: string; readonly user: string | null };
  /** A non-secret id for access logs (tenant/user), never the token. */
  callerIdOf(caller: Caller): string;
  /** The app events are reported under (JaaS: the token's `sub`), or null for the deployment's default. */
  appIdOf(caller: Caller): string | null;
}

/** auth.enabled = false: for closed networks only. */
export const OPEN_AUTH: ApiAuth<null> = {
  authenticate: async () => null,
  authorizeStart: () => undefined,
  authorizeStop: () => undefined,
  authorizeRead: () => undefined,
  initiatorOf: () => null,
  maySeeDetails: () => true,
  quotaKeysOf: () => ({ tenant: 'open', user: null }),
  callerIdOf: () => 'open',
  appIdOf: () => null,
};
