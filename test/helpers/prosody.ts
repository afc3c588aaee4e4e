/**
 * A private Prosody (Debian's `prosody`) on a free 127.0.0.1 port with its own config, data directory and
 * self-signed certificate, laid out as a Jitsi deployment's internal side: accounts on `auth.<domain>`
 * (internal_plain, pre-created as files), STARTTLS required, and a MUC component `internal.auth.<domain>`
 * for the brewery. Restartable on the same port. As root it runs as the `prosody` user (Prosody refuses
 * root); only the process started here is ever signalled, by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childSignalSender, createStagedStop } from '../../src/process/staged-stop.ts';
import { waitUntil } from './processes.ts';
import { freePort } from './redis-server.ts';

export interface ProsodyOptions {
  /** XMPP domain of the deployment (default `meet.test`); accounts live on `auth.<domain>`. */
  readonly domain?: string;
  /** Accounts on `auth.<domain>`: username → password. */
  readonly accounts: Readonly<Record<string, string>>;
  /** When false, the MUC component refuses to create rooms (a missing brewery). Default true. */
  readonly allowRoomCreation?: boolean;
}

export interface Prosody {
  readonly port: number;
  readonly domain: string;
  /** auth.<domain>: where the accounts are. */
  readonly authDomain: string;
  /** internal.auth.<domain>: the brewery's MUC service. */
  readonly mucDomain: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops Prosody and removes its directory. Idempotent. */
  close(): Promise<void>;
  log(): string;
}

/** Prosody's file-name escaping of host names in its data directory. */
const escapeHost = (host: string): string => host.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const luaString = (s: string): string => JSON.stringify(s);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function startProsody(opts: ProsodyOptions): Promise<Prosody> {
  const domain = opts.domain ?? 'meet.test';
  const authDomain = `auth.${domain}`;
  const mucDomain = `internal.auth.${domain}`;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'scriba-prosody-'));
  const data = join(dir, 'data');
  const accounts = join(data, escapeHost(authDomain), 'accounts');
  mkdirSync(accounts, { recursive: true });
  for (const [user, password] of Object.entries(opts.accounts)) {
    writeFileSync(join(accounts, `${escapeHost(user)}.dat`), `return {\n\t["password"] = ${luaString(password)};\n};\n`);
  }
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      `/CN=${authDomain}`,
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(
    join(dir, 'prosody.cfg.lua'),
    `pidfile = ${luaString(join(dir, 'prosody.pid'))}
data_path = ${luaString(data)}
certificates = ${luaString(dir)}
daemonize = false
log = { { levels = { min = "info" }, to = "file", filename = ${luaString(join(dir, 'prosody.log'))} } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
admin_socket = ${luaString(join(dir, 'admin.sock'))}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping" }
modules_disabled = { "s2s"; "offline"; "http"; "admin_shell"; "posix" }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
ssl = { key = ${luaString(join(dir, 'key.pem'))}; certificate = ${luaString(join(dir, 'cert.pem'))} }
VirtualHost ${luaString(authDomain)}
Component ${luaString(mucDomain)} "muc"
  muc_room_locking = false
  restrict_room_creation = ${opts.allowRoomCreation === false ? 'true' : 'false'}
`,
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'prosody']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'prosody']).toString().trim());
    execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stopChild = (_graceMs: number): Promise<void> => exited;
  const readLog = (): string => {
    try {
      return execFileSync('cat', [join(dir, 'prosody.log')]).toString();
    } catch {
      return '';
    }
  };
  const start = async (): Promise<void> => {
    const cfg = join(dir, 'prosody.cfg.lua');
    const cmd = asRoot ? 'setpriv' : 'prosody';
    const args = asRoot
      ? ['--reuid=prosody', '--regid=prosody', '--init-groups', 'prosody', '-F', '--config', cfg]
      : ['-F', '--config', cfg];
    const c = spawn(cmd, args, { stdio: 'ignore' });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    stopChild = createStagedStop(
      childSignalSender(() => c),
      exited,
    );
    if (!(await waitUntil(() => c.exitCode === null && listening(port), 15_000, 50))) {
      if (c.exitCode === null) c.kill('SIGKILL');
      throw new Error(`prosody did not listen on ${port}:\n${readLog()}`);
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    await stopChild(5_000);
  };
  await start();
  let closed: Promise<void> | null = null;
  return {
    port,
    domain,
    authDomain,
    mucDomain,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    close() {
      closed ??= stop().then(() => rmSync(dir, { recursive: true, force: true }));
      return closed;
    },
    log: readLog,
  };
}
