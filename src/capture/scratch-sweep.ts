/**
 * Per-session scratch directories (browser profile, X and sound sockets) are removed by each session's
 * teardown; a process killed with SIGKILL leaves its own behind. Each directory names its owner process in
 * OWNER_FILE; at start a worker removes those whose owner is gone. Several workers may share a workDir on
 * one host, so a directory whose owner still runs is never touched.
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';

export const OWNER_FILE = 'owner.pid';
/** A directory without an owner file is left alone this long (its session may be writing it right now). */
const UNOWNED_GRACE_MS = 10 * 60_000;

/** Marks a session's scratch directory as this process's. */
export async function markScratchOwner(dir: string): Promise<void> {
  await writeFile(join(dir, OWNER_FILE), `${process.pid}\n`, { mode: 0o600 });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pure: should the sweep remove a directory with this owner (null: no owner file) and age? */
export function isStale(ownerPid: number | null, ageMs: number, alive: (pid: number) => boolean): boolean {
  if (ownerPid === null) return ageMs > UNOWNED_GRACE_MS;
  return ownerPid !== process.pid && !alive(ownerPid);
}

/** Removes the scratch directories under workDir whose owner process is gone. Returns how many. */
export async function sweepStaleScratch(workDir: string, logger: Logger, now: number = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const dir = join(workDir, name);
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) continue;
    const raw = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => null);
    const pid = raw === null ? null : Number.parseInt(raw, 10);
    if (!isStale(pid !== null && Number.isFinite(pid) ? pid : null, now - info.mtimeMs, processAlive)) continue;
    await rm(dir, { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0) logger.info({ removed, workDir }, 'removed scratch directories left by processes that are gone');
  return removed;
}
