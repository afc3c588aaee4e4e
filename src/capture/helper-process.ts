/**
 * Child processes the capture needs besides ffmpeg and Chromium (Xvfb, PulseAudio). Each is started under
 * `setpriv --pdeathsig SIGKILL` where setpriv is installed (src/process/spawn-plan.ts), so the kernel kills it
 * if the worker dies without cleaning up (kill -9, OOM): a crashed worker leaves no display or sound server behind.
 */
import type { StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type ChildExit, spawnChild } from '../process/spawn-child.ts';

export interface HelperProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly exited: Promise<ChildExit>;
  /** The extra pipes asked for (index 3 and up), e.g. Xvfb's -displayfd. */
  readonly extraPipes: readonly (Readable | null)[];
  /** Recent stderr/stdout text, for error messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after graceMs. Idempotent. */
  stop(graceMs?: number): Promise<ChildExit>;
}

export interface SpawnHelperOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly extraPipes?: number;
  readonly pdeathsig?: boolean;
}

const RECENT_LIMIT = 4096;

export function spawnHelper(name: string, command: string, args: readonly string[], options: SpawnHelperOptions): HelperProcess {
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array.from({ length: options.extraPipes ?? 0 }, () => 'pipe' as const)];
  const { child, exited, stop } = spawnChild(command, args, {
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio,
    killOnParentDeath: options.pdeathsig ?? true,
  });
  let recent = '';
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString('utf8')).slice(-RECENT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(`\n${name}: ${err.message}\n`)));
  return {
    name,
    pid: child.pid,
    exited,
    extraPipes: child.stdio.slice(3) as (Readable | null)[],
    recentOutput: () => recent,
    stop: (graceMs = 3000) => stop(graceMs),
  };
}
