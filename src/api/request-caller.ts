/** Who made a request, for the access log: set once the token is verified (a non-secret id, never the token). */
import type { FastifyRequest } from 'fastify';

const callers = new WeakMap<FastifyRequest, string>();

export function setCallerId(req: FastifyRequest, id: string): void {
  callers.set(req, id);
}

export function callerIdOf(req: FastifyRequest): string | null {
  return callers.get(req) ?? null;
}
