/**
 * Node's on-disk compile cache for the command line: from the second start on, the modules a command loads
 * are neither compiled nor type-stripped again (`scriba record` reaches its launching step about 110 ms
 * sooner; docs/capture.md). NODE_COMPILE_CACHE chooses the directory (Node then enables it itself, before
 * any module loads) and NODE_DISABLE_COMPILE_CACHE=1 turns it off. Without either, the cache lives in the
 * checkout's node_modules/.cache, not in a /tmp that other users can write to. A directory that cannot be
 * written only means no cache: Node reports it in the returned status and never throws.
 *
 * Node writes the cache when the process exits. A worker may run for weeks and end by SIGKILL, so what was
 * compiled in the first seconds (the command's modules) is also written FLUSH_AFTER_MS after start.
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';

export const FLUSH_AFTER_MS = 5_000;

export const DEFAULT_COMPILE_CACHE_DIR = new URL('../../node_modules/.cache/scriba-compile', import.meta.url);

/** Enables the cache; returns the directory in use, or undefined when it is off or failed. */
export function enableCompileCache(dir: string | URL = DEFAULT_COMPILE_CACHE_DIR): string | undefined {
  const wanted = process.env['NODE_COMPILE_CACHE'] || (dir instanceof URL ? fileURLToPath(dir) : dir);
  const { status, directory } = module.enableCompileCache(wanted);
  const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus;
  if (status !== ENABLED && status !== ALREADY_ENABLED) return undefined;
  setTimeout(() => module.flushCompileCache(), FLUSH_AFTER_MS).unref();
  return directory;
}
