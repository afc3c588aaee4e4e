/** The token the benches send to their own API: one HS256 secret, a moderator for every room. */
import { SignJWT } from 'jose';

export const BENCH_SECRET = 'bench-secret-0123456789abcdef0123456789';

/** The `auth` section of a bench's config that accepts benchHeaders(). */
export const BENCH_AUTH = { algorithms: ['HS256'], secrets: [BENCH_SECRET] } as const;

/** Authorization and content-type headers for a JSON request to the bench's API. */
export async function benchHeaders(): Promise<{ authorization: string; 'content-type': string }> {
  const token = await new SignJWT({ room: '*', context: { user: { id: 'bench', moderator: true } } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('*')
    .setIssuer('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BENCH_SECRET));
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}
