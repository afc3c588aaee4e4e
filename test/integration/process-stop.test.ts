/** Real children: the staged stop, a child that ignores SIGTERM, and the death signal reaching a grandchild. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childExited, spawnChild } from '../../src/process/spawn-child.ts';
import { findSetpriv } from '../../src/process/spawn-plan.ts';
import { isAlive, waitUntil } from '../helpers/processes.ts';

describe('spawnChild + staged stop (real processes)', () => {
  it('stops `sleep 30` with the first signal; later calls return the same exit', async () => {
    const { child, stop } = spawnChild('sleep', ['30'], { stdio: 'ignore' });
    expect(child.pid).toBeTypeOf('number');
    const started = performance.now();
    const first = stop(5000);
    expect(stop(10)).toBe(first);
    expect(await first).toEqual({ code: null, signal: 'SIGTERM' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await stop(10)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('SIGKILLs a child that traps SIGTERM once the grace is over', async () => {
    const { child, stop } = spawnChild('bash', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    const started = performance.now();
    expect(await stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('resolves `exited` with no code and no signal when the program does not exist', async () => {
    const { exited, stop } = spawnChild('/nonexistent/scriba-test-program', [], { stdio: 'ignore', killOnParentDeath: false });
    expect(await exited).toEqual({ code: null, signal: null });
    expect(await stop(100)).toEqual({ code: null, signal: null });
  });

  it.runIf(findSetpriv() !== null)('the death signal kills a grandchild when its parent dies', async () => {
    // The parent (a node process) starts `sleep 30` through spawnChild, prints its pid, then waits.
    const script = [
      'const { spawnChild } = await import(process.argv[1]);',
      "const { child } = spawnChild('sleep', ['30'], { stdio: 'ignore' });",
      "process.stdout.write(String(child.pid) + '\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, new URL('../../src/process/spawn-child.ts', import.meta.url).pathname],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const grandchild = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    expect(isAlive(grandchild)).toBe(true);
    parent.kill('SIGKILL');
    await childExited(parent);
    expect(await waitUntil(() => !isAlive(grandchild), 5000, 20)).toBe(true);
  });
});
