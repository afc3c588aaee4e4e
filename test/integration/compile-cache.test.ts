/**
 * The command line keeps Node's compile cache: where NODE_COMPILE_CACHE says, else in the checkout's
 * node_modules/.cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off; written seconds after start, not only at
 * exit; the image's build step fills it.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FLUSH_AFTER_MS } from '../../src/cli/compile-cache.ts';
import { ROOT } from '../helpers/scriba-bin.ts';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'scriba-compile-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAIN = join(ROOT, 'src/cli/main.ts');
const cleanEnv = (extra: NodeJS.ProcessEnv) => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('NODE_COMPILE_CACHE' in extra)) delete env['NODE_COMPILE_CACHE'];
  if (!('NODE_DISABLE_COMPILE_CACHE' in extra)) delete env['NODE_DISABLE_COMPILE_CACHE'];
  return env;
};
/** Every file under dir (the cache keeps one subdirectory per Node version). */
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);

describe('the compile cache', () => {
  it('is written where NODE_COMPILE_CACHE says, and not at all with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const on = join(tmp, 'on');
    await run(process.execPath, [MAIN, 'record', '--help'], { env: cleanEnv({ NODE_COMPILE_CACHE: on }) });
    expect(files(on).length).toBeGreaterThan(0);

    const off = join(tmp, 'off');
    await run(process.execPath, [MAIN, 'record', '--help'], {
      env: cleanEnv({ NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' }),
    });
    expect(() => files(off)).toThrow(/ENOENT/);
  });

  it('is written a few seconds after start, so a command killed later (SIGKILL, no exit) still leaves it', async () => {
    const killed = join(tmp, 'killed');
    const child = spawn(process.execPath, [MAIN, 'demo-meeting', '--port', '0'], {
      env: cleanEnv({ NODE_COMPILE_CACHE: killed }),
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, FLUSH_AFTER_MS + 1_500));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(files(killed).length).toBeGreaterThan(0);
  });

  it("defaults to the checkout's node_modules/.cache, not a shared /tmp", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `console.log((await import(${JSON.stringify(join(ROOT, 'src/cli/compile-cache.ts'))})).enableCompileCache())`,
      ],
      { env: cleanEnv({}) },
    );
    expect(stdout.trim()).toBe(join(ROOT, 'node_modules/.cache/scriba-compile'));
  });

  it('is filled by the build step with the modules the commands load on first use too', async () => {
    const warmed = join(tmp, 'warmed');
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/warm-compile-cache.ts')], {
      env: cleanEnv({ NODE_COMPILE_CACHE: warmed }),
    });
    expect(stdout).toBe(`compile cache filled: ${warmed}\n`);
    // The record path alone is a few hundred modules; the speech clients and puppeteer add many more.
    const recordOnly = join(tmp, 'record-only');
    await run(process.execPath, [MAIN, 'record', '--help'], { env: cleanEnv({ NODE_COMPILE_CACHE: recordOnly }) });
    expect(files(warmed).length).toBeGreaterThan(files(recordOnly).length);

    const unset = await run(process.execPath, [join(ROOT, 'scripts/warm-compile-cache.ts')], { env: cleanEnv({}) }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(unset).toMatchObject({ code: 2, stderr: 'warm-compile-cache: set NODE_COMPILE_CACHE to the directory to fill\n' });
  });
});
