/**
 * The last line of defence for text that leaves the process (API views, webhooks, CLI output, the queue's
 * stored error): every secret a session knows is cut out, in the forms it can appear in (as is, URI-encoded,
 * JSON-escaped), and then the generic rules of redact.ts run. Errors are also fixed at their source (see
 * src/browser/navigation-error.ts); this catches what a library or a future change lets through.
 */
import { REDACTED, scrubText } from './redact.ts';

/** Shorter strings are not treated as secrets here: cutting "1" or "ab" out of a message would garble it. */
const MIN_SECRET_LENGTH = 4;

export interface SessionSecretSource {
  readonly target?: { readonly jwt: string | null; readonly query?: string } | undefined;
  readonly roomPassword?: string | null | undefined;
  readonly login?: { readonly password: string } | null | undefined;
  /** Stream URLs (the key is part of them). */
  readonly streamUrls?: readonly string[] | undefined;
  /** app_data.file_recording_metadata: it may hold upload tokens. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Anything else the caller knows to be secret (the deployment's XMPP password, webhook secret…). */
  readonly extra?: readonly (string | null | undefined)[] | undefined;
}

function stringsIn(value: unknown, out: string[], depth = 0): void {
  if (depth > 6) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out, depth + 1);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out, depth + 1);
}

/** The secret strings of one session, longest first (so a secret that contains another is cut whole). */
export function sessionSecrets(source: SessionSecretSource): string[] {
  const found: string[] = [];
  if (source.target?.jwt) found.push(source.target.jwt);
  if (source.roomPassword) found.push(source.roomPassword);
  if (source.login?.password) found.push(source.login.password);
  for (const url of source.streamUrls ?? []) {
    found.push(url);
    // The key alone: everything after rtmp(s)://host/app/.
    const key = /^rtmps?:\/\/[^/]+\/[^/]+\/(.+)$/i.exec(url)?.[1];
    if (key) found.push(key);
  }
  stringsIn(source.metadata, found);
  for (const e of source.extra ?? []) if (e) found.push(e);
  const forms = new Set<string>();
  for (const s of found) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(encodeURIComponent(encodeURIComponent(s)));
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(JSON.stringify(s).slice(1, -1)));
    forms.add(encodeURIComponent(JSON.stringify(s)));
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** `text` with every one of `secrets` replaced, then the generic scrub (JWTs, ?jwt=, #appData…, rtmp keys). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return scrubText(out);
}
