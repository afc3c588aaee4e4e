/**
 * spawn() with the two things every long-lived child needs: the death-signal plan (spawn-plan.ts) and the
 * staged stop (staged-stop.ts). `exited` never rejects: a child that could not be started resolves it with
 * no code and no signal, after its 'error' listeners ran.
 */
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { planChildSpawn } from './spawn-plan.ts';
import { childSignalSender, createStagedStop } from './staged-stop.ts';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnChildOptions {
  /** The child's whole environment (it replaces, not extends, process.env). Default: ours. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly stdio?: StdioOptions;
  /** Default true: under `setpriv --pdeathsig SIGKILL` where setpriv is installed. */
  readonly killOnParentDeath?: boolean;
  /** What stop() sends first. Default SIGTERM. */
  readonly firstSignal?: NodeJS.Signals;
}

export interface SpawnedChild {
  readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;
  /** `firstSignal`, then SIGKILL after graceMs (the first call's). Idempotent; resolves with `exited`. */
  stop(graceMs: number): Promise<ChildExit>;
}

/** Resolves once the child has exited, or with no code and no signal if it could not be started. */
export function childExited(child: ChildProcess): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

export function spawnChild(program: string, args: readonly string[], options: SpawnChildOptions = {}): SpawnedChild {
  const plan = planChildSpawn(program, args, options.killOnParentDeath ?? true);
  const child = spawn(plan.program, plan.args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
  });
  const exited = childExited(child);
  const stop = createStagedStop(
    childSignalSender(() => child),
    exited,
    options.firstSignal ?? 'SIGTERM',
  );
  return { child, exited, stop };
}
