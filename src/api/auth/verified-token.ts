/**
 * The claims of a Jitsi JWT whose signature and times have been checked, in one fully required shape
 * (docs/authentication.md). Pure: `toVerifiedToken` validates the payload's shapes; it trusts nothing else.
 */
import { z } from 'zod';
import { AuthError } from './auth-error.ts';

export interface VerifiedUser {
  readonly id: string | null;
  readonly name: string | null;
  readonly email: string | null;
  readonly avatar: string | null;
  readonly moderator: boolean;
  /** `hidden-from-recorder`: keep this participant out of recordings. */
  readonly hiddenFromRecorder: boolean;
}

export interface VerifiedToken {
  readonly issuer: string;
  /** `aud` as a list (a single string becomes one item); empty when the token has none. */
  readonly audience: readonly string[];
  /** `sub`: the tenant or domain the token is for, or '*'. */
  readonly subject: string | null;
  /** `room`: a room name or '*'. */
  readonly room: string;
  readonly user: VerifiedUser;
  readonly group: string | null;
  /** `context.features` normalized to booleans; null when the token has no features at all (then moderators may do everything). */
  readonly features: Readonly<Record<string, boolean>> | null;
  /** `exp` in epoch milliseconds. */
  readonly expiresAtMs: number;
}

// Jitsi writes flags both as booleans and as "true"/"false" strings (Prosody accepts both).
const flag = z
  .union([z.boolean(), z.string().regex(/^(true|false)$/i, 'must be true or false')], 'must be true or false')
  .transform((v) => v === true || (typeof v === 'string' && v.toLowerCase() === 'true'));

// Empty text means "not given"; numeric ids are common enough in token generators to accept as text.
const text = z
  .union([z.string(), z.number().finite()], 'must be a string')
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? null : String(v)));

const userSchema = z.object({
  id: text,
  name: text,
  email: text,
  avatar: text,
  moderator: flag.optional(),
  'hidden-from-recorder': flag.optional(),
});

const payloadSchema = z.object({
  iss: z.string().min(1),
  aud: z.union([z.string().min(1), z.array(z.string().min(1))], 'must be a string or a list of strings').optional(),
  sub: z.string().nullish(),
  room: z.string().min(1),
  exp: z.number().finite(),
  context: z
    .object({
      user: userSchema.nullish(),
      group: text,
      features: z.record(z.string(), flag).nullish(),
    })
    .nullish(),
});

function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue || issue.path.length === 0) return 'the token payload is not a JSON object of claims';
  const claim = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `the token has no "${claim}" claim`;
  if (issue.code === 'too_small') return `the token's "${claim}" claim is empty`;
  return `the token's "${claim}" claim has the wrong type (${issue.message})`;
}

/** Validates the shapes of a verified payload. Throws AuthError('invalid_token') naming the claim, never its value. */
export function toVerifiedToken(payload: unknown): VerifiedToken {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw new AuthError('invalid_token', problem(parsed.error));
  const p = parsed.data;
  const user = p.context?.user;
  return {
    issuer: p.iss,
    audience: p.aud === undefined ? [] : typeof p.aud === 'string' ? [p.aud] : p.aud,
    subject: p.sub ?? null,
    room: p.room,
    user: {
      id: user?.id ?? null,
      name: user?.name ?? null,
      email: user?.email ?? null,
      avatar: user?.avatar ?? null,
      moderator: user?.moderator ?? false,
      hiddenFromRecorder: user?.['hidden-from-recorder'] ?? false,
    },
    group: p.context?.group ?? null,
    features: p.context?.features ? Object.freeze({ ...p.context.features }) : null,
    expiresAtMs: p.exp * 1000,
  };
}
