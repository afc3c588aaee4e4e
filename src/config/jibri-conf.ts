/**
 * Jibri's own configuration file (jibri.conf, HOCON) read as Scriba configuration, so an operator replacing
 * Jibri keeps the file they have. Only the brewery settings carry over: every `jibri.api.xmpp.environments`
 * entry, `jibri.recording.recordings-directory` and `jibri.single-use-mode`; every other key is reported as
 * ignored (by path, never by value). Errors name the key and never quote a value. docs/jitsi-deployment.md
 * lists what carries over.
 */
import { readFile } from 'node:fs/promises';
import { parseHoconFile } from './hocon-text.ts';

export class JibriConfError extends Error {
  override name = 'JibriConfError';
}

/** One environment in Scriba's native `xmpp.environments[]` shape (validated again by the config schema). */
export interface JibriConfEnvironment {
  name: string;
  xmppServerHosts: string[];
  xmppDomain: string;
  baseUrl: string;
  controlLogin: { domain: string; username: string; password: string; port: number };
  controlMuc: { domain: string; roomName: string; nickname: string };
  callLogin: { domain: string; username: string; password: string } | null;
  stripFromRoomDomain: string;
  usageTimeoutSec: number;
  trustAllXmppCerts: boolean;
}

/** What a jibri.conf contributes: a fragment of Scriba's config, plus what to tell the operator once. */
export interface JibriConf {
  readonly file: string;
  readonly config: {
    xmpp?: { environments?: JibriConfEnvironment[]; singleUseMode?: boolean };
    recordingsDir?: string;
  };
  /** Paths of keys Scriba does not use (e.g. `jibri.ffmpeg`, `jibri.api.xmpp.environments[0].sip-control-muc`). */
  readonly ignoredKeys: readonly string[];
  /** Things the operator should know (no values of secrets). */
  readonly warnings: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keys Scriba reads; `true` = a value, an object = keys below, `[spec]` = every element of a list. */
type Known = true | { readonly [key: string]: Known } | readonly [Known];
const ENVIRONMENT_KEYS: Known = {
  name: true,
  'xmpp-server-hosts': true,
  'xmpp-domain': true,
  'base-url': true,
  'control-login': { domain: true, username: true, password: true, port: true },
  'control-muc': { domain: true, 'room-name': true, nickname: true },
  'call-login': { domain: true, username: true, password: true },
  'strip-from-room-domain': true,
  'usage-timeout': true,
  'trust-all-xmpp-certs': true,
};
const KNOWN: Known = {
  jibri: {
    'single-use-mode': true,
    recording: { 'recordings-directory': true },
    api: { xmpp: { environments: [ENVIRONMENT_KEYS] } },
  },
};

/** Paths present in `value` that `known` does not list; a wholly unknown object is one path. */
export function unknownKeyPaths(value: unknown, known: Known = KNOWN, path = ''): string[] {
  if (known === true) return [];
  if (Array.isArray(known)) {
    if (!Array.isArray(value)) return [];
    return value.flatMap((item, i) => unknownKeyPaths(item, known[0] as Known, `${path}[${i}]`));
  }
  if (!isObj(value)) return [];
  const spec = known as { readonly [key: string]: Known };
  return Object.keys(value).flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    const sub = Object.hasOwn(spec, key) ? spec[key] : undefined;
    return sub === undefined ? [at] : unknownKeyPaths(value[key], sub, at);
  });
}

/** Reads values out of the parsed file; every error names the key path, never the value. */
class Reader {
  private readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  fail(path: string, problem: string): never {
    throw new JibriConfError(`${this.file}: ${path}: ${problem}`);
  }

  string(value: unknown, path: string): string {
    if (typeof value === 'string') return value;
    // HOCON reads an unquoted 12345 as a number; Typesafe config hands such a value out as its text.
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    return this.fail(path, value === undefined ? 'is missing' : 'must be a string (write it in quotes)');
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value === 'boolean') return value;
    // Typesafe config's getBoolean also takes these words.
    if (typeof value === 'string') {
      if (/^(true|yes|on)$/i.test(value.trim())) return true;
      if (/^(false|no|off)$/i.test(value.trim())) return false;
    }
    return this.fail(path, 'must be true or false');
  }

  port(value: unknown, path: string): number {
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    return this.fail(path, 'must be a port number (1-65535)');
  }

  object(value: unknown, path: string): Obj {
    if (isObj(value)) return value;
    return this.fail(path, value === undefined ? 'is missing' : 'must be an object { … }');
  }
}

const DURATION_UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(ns|nanos?|nanoseconds?)$/, 1e-9],
  [/^(us|micros?|microseconds?)$/, 1e-6],
  [/^(ms|millis?|milliseconds?)$/, 1e-3],
  [/^(s|seconds?)$/, 1],
  [/^(m|minutes?)$/, 60],
  [/^(h|hours?)$/, 3600],
  [/^(d|days?)$/, 86400],
];

/**
 * Jibri's usage-timeout in whole seconds (rounded up). A HOCON duration ("5 minutes", "1 hour", "90 s") is
 * taken as written; a bare number (0, 60, "60") is minutes, the unit of Jibri's usage timeout (its HOCON
 * reader would take a bare number as milliseconds, so a bare non-zero number also yields a warning).
 */
export function usageTimeoutSeconds(value: unknown): { seconds: number; bareNumber: boolean } | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(text);
  if (!m) return null;
  const amount = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') return { seconds: Math.ceil(amount * 60), bareNumber: true };
  const factor = DURATION_UNITS.find(([re]) => re.test(unit))?.[1];
  if (factor === undefined) return null;
  return { seconds: Math.ceil(amount * factor), bareNumber: false };
}

/** `host` or `host:port` (Jibri accepts both in xmpp-server-hosts); IPv6 literals only in brackets with a port. */
function splitHostPort(entry: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ? Number(bracketed[2]) : null };
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(entry);
  if (hostPort) return { host: hostPort[1] ?? '', port: Number(hostPort[2]) };
  return { host: entry, port: null };
}

function readEnvironment(r: Reader, raw: unknown, at: string, warnings: string[]): JibriConfEnvironment {
  const env = r.object(raw, at);
  const name = r.string(env['name'], `${at}.name`);
  const hostsRaw = env['xmpp-server-hosts'];
  if (!Array.isArray(hostsRaw) || hostsRaw.length === 0) r.fail(`${at}.xmpp-server-hosts`, 'must be a non-empty list of host names');
  const hosts = hostsRaw.map((h, i) => splitHostPort(r.string(h, `${at}.xmpp-server-hosts[${i}]`).trim()));
  const xmppDomain = r.string(env['xmpp-domain'], `${at}.xmpp-domain`).trim();

  const loginAt = `${at}.control-login`;
  const login = r.object(env['control-login'], loginAt);
  const loginPort = login['port'] === undefined ? null : r.port(login['port'], `${loginAt}.port`);
  // Scriba keeps one port per environment: a port written on the hosts must agree with every other one.
  const ports = new Set([...hosts.map((h) => h.port), loginPort].filter((p): p is number => p !== null));
  if (ports.size > 1)
    r.fail(`${at}.xmpp-server-hosts`, 'hosts name different ports: Scriba uses one port per environment (control-login.port)');
  const port = [...ports][0] ?? 5222;

  const mucAt = `${at}.control-muc`;
  const muc = r.object(env['control-muc'], mucAt);

  let callLogin: JibriConfEnvironment['callLogin'] = null;
  const callRaw = env['call-login'];
  if (callRaw !== undefined && callRaw !== null) {
    const call = r.object(callRaw, `${at}.call-login`);
    const username = r.optionalString(call['username'], `${at}.call-login.username`) ?? '';
    // An empty call login is how a deployment without a hidden domain says "join as a guest".
    if (username.trim() !== '') {
      callLogin = {
        domain: r.string(call['domain'], `${at}.call-login.domain`).trim(),
        username: username.trim(),
        password: r.string(call['password'], `${at}.call-login.password`),
      };
    }
  }
  if (callLogin === null) {
    warnings.push(`${at}: no call-login: the recorder joins meetings as a guest and is not hidden from participants`);
  }

  let usageTimeoutSec = 0;
  if (env['usage-timeout'] !== undefined && env['usage-timeout'] !== null) {
    const timeout = usageTimeoutSeconds(env['usage-timeout']);
    if (!timeout) r.fail(`${at}.usage-timeout`, 'must be a duration such as 0, "90 minutes" or "1 hour"');
    usageTimeoutSec = timeout.seconds;
    if (timeout.bareNumber && timeout.seconds > 0) {
      warnings.push(
        `${at}.usage-timeout: a number without unit is read as minutes (${timeout.seconds / 60}); write e.g. "${timeout.seconds / 60} minutes" to be explicit`,
      );
    }
  }

  const baseUrl = r.optionalString(env['base-url'], `${at}.base-url`)?.trim() ?? '';
  const strip = r.optionalString(env['strip-from-room-domain'], `${at}.strip-from-room-domain`);
  return {
    name,
    xmppServerHosts: hosts.map((h) => h.host),
    xmppDomain,
    baseUrl,
    controlLogin: {
      domain: r.string(login['domain'], `${loginAt}.domain`).trim(),
      username: r.string(login['username'], `${loginAt}.username`).trim(),
      password: r.string(login['password'], `${loginAt}.password`),
      port,
    },
    controlMuc: {
      domain: r.string(muc['domain'], `${mucAt}.domain`).trim(),
      roomName: r.string(muc['room-name'], `${mucAt}.room-name`).trim(),
      nickname: r.string(muc['nickname'], `${mucAt}.nickname`).trim(),
    },
    callLogin,
    stripFromRoomDomain: strip ?? 'conference.',
    usageTimeoutSec,
    trustAllXmppCerts:
      env['trust-all-xmpp-certs'] === undefined ? false : r.boolean(env['trust-all-xmpp-certs'], `${at}.trust-all-xmpp-certs`),
  };
}

/** Maps a parsed jibri.conf (plain JSON values) to Scriba's config. Pure; throws JibriConfError. */
export function jibriConfFromObject(parsed: unknown, file: string): JibriConf {
  const r: Reader = new Reader(file);
  const root = parsed === undefined || parsed === null ? {} : r.object(parsed, '(top level)');
  const warnings: string[] = [];
  const config: JibriConf['config'] = {};
  const jibri = root['jibri'] === undefined ? {} : r.object(root['jibri'], 'jibri');

  const xmpp: NonNullable<JibriConf['config']['xmpp']> = {};
  if (jibri['single-use-mode'] !== undefined) xmpp.singleUseMode = r.boolean(jibri['single-use-mode'], 'jibri.single-use-mode');
  const api = jibri['api'] === undefined ? {} : r.object(jibri['api'], 'jibri.api');
  const xmppRaw = api['xmpp'] === undefined ? {} : r.object(api['xmpp'], 'jibri.api.xmpp');
  const envsRaw = xmppRaw['environments'];
  if (envsRaw === undefined) {
    warnings.push('jibri.api.xmpp.environments is not set: no Jibri brewery to join');
  } else {
    if (!Array.isArray(envsRaw)) r.fail('jibri.api.xmpp.environments', 'must be a list [ { … } ]');
    const environments = envsRaw.map((e, i) => readEnvironment(r, e, `jibri.api.xmpp.environments[${i}]`, warnings));
    const names = new Set<string>();
    environments.forEach((e, i) => {
      if (names.has(e.name)) r.fail(`jibri.api.xmpp.environments[${i}].name`, 'environment names must be unique');
      names.add(e.name);
    });
    xmpp.environments = environments;
  }
  if (Object.keys(xmpp).length > 0) config.xmpp = xmpp;

  const recording = jibri['recording'] === undefined ? {} : r.object(jibri['recording'], 'jibri.recording');
  const dir = r.optionalString(recording['recordings-directory'], 'jibri.recording.recordings-directory');
  if (dir !== undefined) {
    if (dir.trim() === '') r.fail('jibri.recording.recordings-directory', 'must not be empty');
    config.recordingsDir = dir.trim();
  }
  return { file, config, ignoredKeys: unknownKeyPaths(root), warnings };
}

/** Reads and maps a jibri.conf. `${?NAME}` substitutions resolve from `env`. Throws JibriConfError. */
export async function readJibriConf(file: string, env: Readonly<Record<string, string | undefined>>): Promise<JibriConf> {
  try {
    // Read once first for a clear message (the parser reports a missing file as an empty document).
    await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new JibriConfError(`${file}: cannot be read (${code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = await parseHoconFile(file, env);
  } catch (err) {
    throw new JibriConfError(`${file}: ${(err as Error).message}`);
  }
  return jibriConfFromObject(parsed, file);
}

/** The slice of a logger reportJibriConf needs (pino's Logger fits). */
export interface JibriConfLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Logs, once at start, which environments were read, the keys Scriba ignores (paths only) and the warnings. */
export function reportJibriConf(jibri: JibriConf, log: JibriConfLog): void {
  const environments = jibri.config.xmpp?.environments?.map((e) => e.name) ?? [];
  log.info({ file: jibri.file, environments }, 'read Jibri configuration');
  if (jibri.ignoredKeys.length > 0) {
    log.info({ file: jibri.file, ignoredKeys: jibri.ignoredKeys }, 'jibri.conf keys Scriba does not use are ignored');
  }
  for (const warning of jibri.warnings) log.warn({ file: jibri.file }, warning);
}
