/** Runs `scriba <args>` as a real child process (src/cli/main.ts), keeping what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return {
    child,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    stdout: () => out,
    stderr: () => err,
  };
}
