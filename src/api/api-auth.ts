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
  appIdOf: () => null,
};
