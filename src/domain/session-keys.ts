/**
 * The keys sessions are found and made exclusive by. Jitsi treats `Standup`, `ｓｔａｎｄｕｐ` (fullwidth) and
 * `standup` as one conference (Prosody lowercases room JIDs; Meet applies NFKC to room names), and
 * `meet.example.com.` (a fully qualified name with its trailing dot) as `meet.example.com`; so do these keys,
 * or a second recorder could join the same meeting. Pure.
 */

/** Host: lowercase, NFKC, no trailing dots (URL parsing already maps Unicode hosts to punycode). */
export function normalizeHost(host: string): string {
  return host.normalize('NFKC').toLowerCase().replace(/\.+$/, '');
}

/** Room or tenant name as Jitsi compares them: NFKC, then lowercase. */
export function normalizeRoomName(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/** The tag a session is listed under: room and tenant (any meeting host). */
export function roomTag(tenant: string | null, room: string): string {
  return `room:${normalizeRoomName(tenant ?? '')}/${normalizeRoomName(room)}`;
}

/** One session per room and mode (Jicofo's rule), across every API replica, worker and start path. */
export function exclusiveKey(
  target: { readonly baseUrl: string; readonly tenant: string | null; readonly room: string },
  kind: string,
): string {
  const host = normalizeHost(new URL(target.baseUrl).hostname);
  return `session:${host}/${normalizeRoomName(target.tenant ?? '')}/${normalizeRoomName(target.room)}:${kind}`;
}

/** The tag of every session a tenant (the token's `sub`) started: admission counts them. */
export function tenantTag(subject: string): string {
  return `tenant:${normalizeRoomName(subject)}`;
}

/** The tag of every session one user of a tenant started. */
export function userTag(subject: string, userId: string): string {
  return `user:${normalizeRoomName(subject)}/${userId}`;
}
