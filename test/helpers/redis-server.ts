/** Starts a private redis-server on a free 127.0.0.1 port for a test; stops it by pid. */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { sleep } from '../../src/lib/abort.ts';
import { childSignalSender, createStagedStop } from '../../src/process/staged-stop.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (redis saves/flushes AOF on shutdown), waits for exit. */
  stop(): Promise<void>;
  /** SIGKILL, no wait. */
  kill9(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * `dir` set: persistence with an append-only file in that directory (a restart on the same dir and port
 * keeps the data); unset: no persistence at all. `port` reuses a port (for restarts).
 */
export async function startRedis(opts: { dir?: string; port?: number } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
  if (opts.dir !== undefined) args.push('--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server did not start');
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING:\n${output}`);
    }
    await sleep(50);
  }
  const stop = createStagedStop(
    childSignalSender(() => child),
    exited,
    'SIGTERM',
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    stop: () => stop(5_000),
    kill9() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    },
  };
}
