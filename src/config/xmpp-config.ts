/**
 * The `xmpp` section of Scriba's configuration: the Jitsi deployments (Jibri "environments") whose Jibri
 * brewery this worker joins. Filled from Scriba's own config or from Jibri's jibri.conf (src/config/jibri-conf.ts).
 * See docs/configuration.md and docs/jitsi-deployment.md.
 */
import { z } from 'zod';
import type { XmppEnvironment, XmppSettings } from '../xmpp/xmpp-environment.ts';

const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const domain = z.string().trim().toLowerCase().regex(DOMAIN, 'must be a domain name such as meet.example.com');

/** A host to connect to: a name, IPv4 or IPv6 address; the port is controlLogin.port. */
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(
    /^([A-Za-z0-9.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/,
    'must be a host name or IP address without a port (the port is controlLogin.port)',
  );

/** `https://meet.example.com[/prefix]` without trailing slash; '' = none (then https://<xmppDomain>). */
export function baseUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http:// or https:// URL such as https://meet.example.com';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must use https:// (or http://)';
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain a user name or password';
  if (parsed.search !== '' || parsed.hash !== '') return 'must not have a query or fragment';
  return null;
}

export const xmppEnvironmentSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    xmppServerHosts: z.array(host).min(1, 'name at least one XMPP server host'),
    xmppDomain: domain,
    baseUrl: z.string().trim().default(''),
    controlLogin: z.strictObject({
      domain,
      username: z.string().min(1),
      password: z.string(),
      port: z.number().int().min(1).max(65535).default(5222),
    }),
    controlMuc: z.strictObject({
      domain,
      roomName: z.string().trim().min(1),
      nickname: z.string().trim().min(1).max(1023),
    }),
    callLogin: z
      .strictObject({ domain, username: z.string().min(1), password: z.string() })
      .nullable()
      .default(null),
    stripFromRoomDomain: z.string().trim().toLowerCase().default('conference.'),
    usageTimeoutSec: z.number().int().nonnegative().default(0),
    trustAllXmppCerts: z.boolean().default(false),
  })
  .superRefine((env, ctx) => {
    const problem = env.baseUrl === '' ? null : baseUrlProblem(env.baseUrl);
    if (problem) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: problem });
  })
  .transform(
    (env): XmppEnvironment => ({
      ...env,
      // Jibri's rule: without base-url, meetings are at https://<xmpp-domain>.
      baseUrl: (env.baseUrl === '' ? `https://${env.xmppDomain}` : env.baseUrl).replace(/\/+$/, ''),
    }),
  );

export const xmppConfigSchema = z.strictObject({
  environments: z.array(xmppEnvironmentSchema).superRefine((envs, ctx) => {
    const seen = new Set<string>();
    envs.forEach((env, i) => {
      if (seen.has(env.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'environment names must be unique' });
      seen.add(env.name);
    });
  }),
  singleUseMode: z.boolean(),
});

/** The brewery settings out of a validated config (a type check that the schema yields the agreed shape). */
export function xmppSettings(config: { readonly xmpp: z.infer<typeof xmppConfigSchema> }): XmppSettings {
  return config.xmpp;
}
