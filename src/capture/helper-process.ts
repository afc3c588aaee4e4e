/**
 * Child processes the capture needs besides ffmpeg and Chromium (Xvfb, PulseAudio). Each is started through
 * util-linux `setpriv --pdeathsig SIGKILL`, so the kernel kills it if the worker dies without cleaning up
 * (kill -9, OOM): a crashed worker leaves no display or sound server behind.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface HelperExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface HelperProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly exited: Promise<HelperExit>;
  /** The extra pipes asked for (index 3 and up), e.g. Xvfb's -displayfd. */
  readonly extraPipes: readonly (Readable | null)[];
  /** Recent stderr/stdout text, for error messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after graceMs. Idempotent. */
  stop(graceMs?: number): Promise<HelperExit>;
}

export interface SpawnHelperOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly extraPipes?: number;
  readonly pdeathsig?: boolean;
}

const RECENT_LIMIT = 4096;

export function spawnHelper(name: string, command: string, args: readonly string[], options: SpawnHelperOptions): HelperProcess {
  const pdeathsig = options.pdeathsig ?? true;
  const [cmd, argv] = pdeathsig ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, [...args]];
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array.from({ length: options.extraPipes ?? 0 }, () => 'pipe' as const)];
  const child = spawn(cmd, argv, { env: options.env, cwd: options.cwd, stdio });
  let recent = '';
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString('utf8')).slice(-RECENT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<HelperExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      keep(Buffer.from(`\n${name}: ${err.message}\n`));
      resolve({ code: null, signal: null });
    });
  });
  let stopping: Promise<HelperExit> | null = null;
  return {
    name,
    pid: child.pid,
    exited,
    extraPipes: child.stdio.slice(3) as (Readable | null)[],
    recentOutput: () => recent,
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}
