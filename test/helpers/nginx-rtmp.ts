/**
 * A private nginx with the RTMP module (Debian nginx-light + libnginx-mod-rtmp) on a free 127.0.0.1 port,
 * for stream tests; restartable on the same port (a server restart as a stream sees it). Applications:
 * - `live`: accepts any key except `bad`, which its on_publish hook (a node:http server here) answers 403;
 * - `closed`: `deny publish all` (nginx-rtmp sends Publish.Start, then drops the connection).
 * Every publish attempt to `live` is counted per key. Only the processes started here are ever signalled,
 * by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { settlesWithin } from '../../src/lib/abort.ts';
import { planChildSpawn } from '../../src/process/spawn-plan.ts';
import { descendants, isAlive, waitUntil } from './processes.ts';
import { freePort } from './redis-server.ts';

const MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface NginxRtmp {
  readonly port: number;
  /** rtmp://127.0.0.1:<port>/<app>/<key> */
  url(key: string, app?: string): string;
  /** Publish attempts to app `live` with this key that reached the on_publish hook. */
  publishAttempts(key: string): number;
  readonly pid: number | undefined;
  /** Fast shutdown (SIGTERM: connections dropped), waits for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same port. */
  start(): Promise<void>;
  /** stop() + start(): what a stream sees when its server restarts. */
  restart(): Promise<void>;
  /** Stops nginx and the hook server, removes the directory. Idempotent. */
  close(): Promise<void>;
  /** nginx's error log (diagnostics). */
  errorLog(): string;
}

function config(dir: string, port: number, hookPort: number): string {
  return `load_module ${MODULE};
error_log ${dir}/error.log info;
pid ${dir}/nginx.pid;
worker_processes 1;
events { worker_connections 128; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    application live {
      live on;
      record off;
      # A new reader starts at a keyframe, not in the middle of a picture group.
      wait_key on;
      on_publish http://127.0.0.1:${hookPort}/publish;
    }
    application closed {
      live on;
      record off;
      deny publish all;
    }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => done(true));
  });
}

export async function startNginxRtmp(): Promise<NginxRtmp> {
  const dir = mkdtempSync(`${tmpdir()}/scriba-nginx-`);
  const attempts = new Map<string, number>();
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const name = new URLSearchParams(body).get('name') ?? '';
      attempts.set(name, (attempts.get(name) ?? 0) + 1);
      res.statusCode = name === 'bad' ? 403 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookAddress = hook.address();
  const hookPort = typeof hookAddress === 'object' && hookAddress !== null ? hookAddress.port : 0;
  const port = await freePort();
  writeFileSync(`${dir}/nginx.conf`, config(dir, port, hookPort));

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;

  const start = async (): Promise<void> => {
    if (child !== null) return;
    // Under setpriv where installed: the kernel kills nginx's master if the test process dies without stopping it.
    const plan = planChildSpawn('nginx', ['-p', dir, '-c', `${dir}/nginx.conf`, '-g', 'daemon off; master_process on;']);
    const c = spawn(plan.program, plan.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const up = await waitUntil(async () => c.exitCode !== null || (await accepts(port)), 10_000, 50);
    if (!up || c.exitCode !== null) {
      await stop();
      throw new Error(`nginx did not start on 127.0.0.1:${port}:\n${output}\n${readLog()}`);
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (c === null) return;
    child = null;
    const pid = c.pid;
    if (pid !== undefined && c.exitCode === null && c.signalCode === null) {
      const workers = descendants(pid);
      process.kill(pid, 'SIGTERM');
      const gone = await settlesWithin(exited, 5000);
      if (!gone) {
        for (const p of [pid, ...workers]) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        await exited;
      }
      // The worker exits right after the master; the port must be free before a restart binds it again.
      await waitUntil(() => workers.every((w) => !isAlive(w)), 5000, 20);
    }
  };

  const readLog = (): string => {
    try {
      return readFileSync(`${dir}/error.log`, 'utf8');
    } catch {
      return '';
    }
  };

  await start();
  return {
    port,
    url: (key, app = 'live') => `rtmp://127.0.0.1:${port}/${app}/${key}`,
    publishAttempts: (key) => attempts.get(key) ?? 0,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
    errorLog: readLog,
  };
}

export interface LiveStreamProbe {
  readonly video: { codec: string; width: number; height: number; fps: number } | null;
  readonly audio: { codec: string; sampleRate: number; channels: number } | null;
  /** Video packets read, and the frame rate they show (packets ÷ their pts span). */
  readonly videoPackets: number;
  readonly measuredFps: number;
}

/**
 * Reads `seconds` of a live RTMP stream back with ffprobe (as a viewer would) and reports what it carries.
 * Rejects if nothing could be read within timeoutMs.
 */
export function probeLiveStream(url: string, seconds = 3, timeoutMs = 15_000): Promise<LiveStreamProbe> {
  return new Promise((resolve, reject) => {
    const args = [
      '-v',
      'error',
      '-rw_timeout',
      '8000000',
      '-read_intervals',
      `%+${seconds}`,
      '-show_entries',
      'stream=index,codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels:packet=stream_index,pts_time',
      '-of',
      'json',
      url,
    ];
    const plan = planChildSpawn('ffprobe', args);
    const child = spawn(plan.program, plan.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`ffprobe of the live stream failed (${code}): ${err}`));
      type Json = {
        streams: {
          index: number;
          codec_type: string;
          codec_name: string;
          width?: number;
          height?: number;
          r_frame_rate?: string;
          sample_rate?: string;
          channels?: number;
        }[];
        packets?: { stream_index: number; pts_time?: string }[];
      };
      const j = JSON.parse(out) as Json;
      const v = j.streams.find((s) => s.codec_type === 'video');
      const a = j.streams.find((s) => s.codec_type === 'audio');
      const pts = (j.packets ?? [])
        .filter((p) => p.stream_index === v?.index && p.pts_time !== undefined)
        .map((p) => Number(p.pts_time))
        .sort((x, y) => x - y);
      const span = pts.length > 1 ? pts.at(-1)! - pts[0]! : 0;
      const [num, den] = (v?.r_frame_rate ?? '0/1').split('/').map(Number);
      resolve({
        video: v ? { codec: v.codec_name, width: v.width ?? 0, height: v.height ?? 0, fps: den ? num! / den : 0 } : null,
        audio: a ? { codec: a.codec_name, sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 } : null,
        videoPackets: pts.length,
        measuredFps: span > 0 ? (pts.length - 1) / span : 0,
      });
    });
  });
}
