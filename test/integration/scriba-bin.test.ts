/**
 * bin/scriba.js under the system's older Node (v20 on Debian 12): it hands over to the Node that setup put
 * under .tools/, passing on argv, stdio, the exit code and signals, or says in one line what to install.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { meetsNodeRequirement } from '../../bin/node-requirement.js';
import { descendants, isAlive, waitUntil } from '../helpers/processes.ts';
import { BIN, ROOT, nodeVersionOnPath, systemNodeEnv } from '../helpers/scriba-bin.ts';

const run = promisify(execFile);
const env = systemNodeEnv();
const systemNode = nodeVersionOnPath(env);
const handsOver =
  systemNode !== undefined && !meetsNodeRequirement(systemNode) && existsSync(join(ROOT, '.tools/node/node_modules/.bin/node'));
const tmp = mkdtempSync(join(tmpdir(), 'scriba-bin-'));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function failure(args: string[], options: { env?: NodeJS.ProcessEnv; bin?: string } = {}) {
  const err = await run(options.bin ?? BIN, args, { cwd: ROOT, env: options.env ?? env }).then(
    () => expect.fail('expected a failure'),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: err.code, stdout: err.stdout, stderr: err.stderr };
}

/** `bin/scriba.js demo-meeting` in its own session (no terminal), once it serves. */
async function startMeeting(): Promise<{
  wrapper: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  node: number;
}> {
  const wrapper = spawn(BIN, ['demo-meeting', '--port', '0'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(wrapper);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    wrapper.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let out = '';
  wrapper.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  expect(await waitUntil(() => out.includes('synthetic meeting at http://127.0.0.1:'), 30_000)).toBe(true);
  const [node] = descendants(wrapper.pid!);
  expect(node).toBeDefined();
  return { wrapper, exited, node: node! };
}

describe.runIf(handsOver)(`bin/scriba.js under the system Node (${systemNode ?? 'none'})`, () => {
  it('runs the command with the Node under .tools/, with its argv, stdout and exit code', async () => {
    const { stdout } = await run(BIN, ['--help'], { cwd: ROOT, env });
    expect(stdout).toMatch(/^Usage:\n {2}scriba record/);
    const unknown = await failure(['no such  command']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^unknown command "no such {2}command"\n/);
    expect(await failure(['demo-meeting', '--port', '70000'])).toEqual({
      code: 2,
      stdout: '',
      stderr: '--port must be a port number, got "70000"\n',
    });
  });

  it('passes SIGTERM and SIGINT on: the command stops cleanly and its exit code comes back', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { wrapper, exited, node } = await startMeeting();
      expect(readlinkSync(`/proc/${node}/exe`)).toBe(join(ROOT, '.tools/node/node_modules/node/bin/node'));
      wrapper.kill(signal);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(await waitUntil(() => !isAlive(node), 5000)).toBe(true);
    }
  });

  it('dies of the signal that killed the command', async () => {
    const { exited, node } = await startMeeting();
    process.kill(node, 'SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('takes the command down when it is killed itself', async () => {
    const { wrapper, exited, node } = await startMeeting();
    wrapper.kill('SIGKILL');
    await exited;
    expect(await waitUntil(() => !isAlive(node), 10_000)).toBe(true);
  });

  // Ctrl-C reaches the whole foreground process group; passed on as well, it would be a second one, which
  // kills demo-meeting (it listens once) before it closes, as it would a draining worker. `exec` keeps the
  // shell out of it: dash, a common /bin/sh, dies of the Ctrl-C itself whatever its child does.
  it.runIf(existsSync('/usr/bin/script'))('on a terminal, Ctrl-C reaches the command once', async () => {
    const term = spawn('/usr/bin/script', ['-qec', `exec ${BIN} demo-meeting --port 0`, '/dev/null'], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    started.push(term);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      term.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let out = '';
    term.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    expect(await waitUntil(() => out.includes('synthetic meeting at'), 30_000)).toBe(true);
    term.stdin!.write('\x03');
    // script -e exits with the command's own exit code.
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('says in one line which Node it needs when there is no Node under .tools/ (exit 2, no stack trace)', async () => {
    const copy = join(tmp, 'copy');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    for (const f of ['scriba.js', 'node-requirement.js']) copyFileSync(join(ROOT, 'bin', f), join(copy, 'bin', f));
    writeFileSync(join(copy, 'package.json'), '{"type": "module"}');
    const result = await failure(['--help'], { bin: join(copy, 'bin/scriba.js') });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^scriba: needs Node >= 22\.18 \(this is Node v\d+\.\d+\.\d+\); install it and run scriba with it\n$/);
  });

  it('does not loop when the Node it handed over to is too old as well', async () => {
    const result = await failure(['--help'], { env: { ...env, SCRIBA_NODE_REEXEC: '1' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `scriba: needs Node >= 22.18 (this is Node v${systemNode}); install it with: bash ${ROOT}/scripts/setup.sh\n`,
    );
  });

  it('works as `scriba` on PATH after `npm install -g .` (a symlink to this checkout)', async () => {
    const prefix = join(tmp, 'global');
    await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--loglevel=error', '.'], {
      cwd: ROOT,
      env,
    });
    const onPath = { ...env, PATH: `${join(prefix, 'bin')}:${env.PATH}` };
    const { stdout } = await run('scriba', ['worker', '--help'], { cwd: tmp, env: onPath });
    expect(stdout).toContain('scriba worker');
  });
});
