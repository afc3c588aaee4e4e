/** Running `bin/scriba.js` as a newcomer does: from the repository, with the system's Node first on PATH. */
import { execFileSync } from 'node:child_process';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/scriba.js');

/** The environment without the project's own Node on PATH (scripts/node-path.sh puts it there for the tests). */
export function systemNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const tools = join(ROOT, '.tools');
  const path = (env.PATH ?? '').split(delimiter).filter((p) => p !== '' && !resolve(p).startsWith(tools));
  const out: NodeJS.ProcessEnv = { ...env, PATH: path.join(delimiter) };
  delete out.SCRIBA_NODE_REEXEC;
  return out;
}

/** The version of the `node` that PATH finds in env, or undefined when there is none. */
export function nodeVersionOnPath(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync('node', ['-p', 'process.versions.node'], { env, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
