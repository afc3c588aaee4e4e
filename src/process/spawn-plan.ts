/**
 * How a child is started so it dies with us: through util-linux `setpriv --pdeathsig <SIG> --`, the kernel
 * sends it the signal when our process dies without stopping it (crash, SIGKILL, OOM kill), so no orphan
 * keeps a display, a sound server or an RTMP ingest busy. setpriv execs the program, so the pid is the
 * program's. Where setpriv is not installed the program is started as is. Caveat: Linux sends the death
 * signal when the THREAD that spawned the child ends, so spawn from the main thread or a long-lived worker.
 */
import { accessSync, constants } from 'node:fs';

export interface SpawnPlan {
  readonly program: string;
  readonly args: readonly string[];
}

/**
 * Which program to spawn with which arguments. Pure. With a setpriv path the command line is unchanged, only
 * prefixed (`--` ends setpriv's own options).
 */
export function planSpawn(
  program: string,
  args: readonly string[],
  setprivPath: string | null,
  deathSignal: NodeJS.Signals = 'SIGKILL',
): SpawnPlan {
  if (setprivPath === null) return { program, args: [...args] };
  return { program: setprivPath, args: ['--pdeathsig', deathSignal, '--', program, ...args] };
}

const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/local/bin/setpriv'];
let setprivCache: string | null | undefined;

/** Absolute path of util-linux's setpriv, looked up once (absolute so a caller's `env` without PATH works). */
export function findSetpriv(): string | null {
  if (setprivCache !== undefined) return setprivCache;
  setprivCache = null;
  for (const candidate of SETPRIV_CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      setprivCache = candidate;
      break;
    } catch {
      // try the next one
    }
  }
  return setprivCache;
}

/** planSpawn with the installed setpriv when `killOnParentDeath` (default true), else the bare command. */
export function planChildSpawn(program: string, args: readonly string[], killOnParentDeath = true): SpawnPlan {
  return planSpawn(program, args, killOnParentDeath ? findSetpriv() : null);
}
