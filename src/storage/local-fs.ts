/**
 * Filesystem plumbing for the local store: containment (no object path may leave the root, even through a
 * symlink someone placed inside it), durable atomic writes and hashing copies.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, realpath, rename, rmdir, type FileHandle } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { StorageError, throwIfAborted } from './object-store.ts';

export function isInside(rootReal: string, candidate: string): boolean {
  return candidate.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Disk full, too many open files and the like can pass: the rest (permissions, EROFS, …) will not. */
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EIO', 'EINTR']);

export function localError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = errnoOf(err);
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  if (code === 'ENOENT') return new StorageError('not_found', message, { cause: err });
  if (code === 'ABORT_ERR' || (err instanceof Error && err.name === 'AbortError')) {
    return new StorageError('aborted', message, { cause: err });
  }
  const transient = code !== undefined && TRANSIENT_ERRNO.has(code);
  return new StorageError(transient ? 'unavailable' : 'rejected', message, { cause: err, retryable: transient });
}

function escapes(key: string): StorageError {
  return new StorageError('invalid_key', `object key ${JSON.stringify(key)} resolves outside the store root`);
}

/** The real path of an existing object, checked to be inside the root; null when missing. */
export async function resolveExisting(rootReal: string, key: string): Promise<string | null> {
  let real: string;
  try {
    real = await realpath(join(rootReal, key));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
    throw localError(err, `resolving ${key}`);
  }
  if (!isInside(rootReal, real)) throw escapes(key);
  return real;
}

/** The path to write an object to: parent directories created, and the parent's real path inside the root. */
export async function resolveForWrite(rootReal: string, key: string): Promise<string> {
  const target = join(rootReal, key);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const parentReal = await realpath(parent);
  if (parentReal !== rootReal && !isInside(rootReal, parentReal)) throw escapes(key);
  return join(parentReal, key.slice(key.lastIndexOf('/') + 1));
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Renames a finished temp file over `key`'s path, durably (fsync of the file by the caller, then of the
 * directory). A concurrent delete may prune the parent directory between mkdir and rename: try again.
 */
export async function publish(rootReal: string, tmpPath: string, key: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const target = await resolveForWrite(rootReal, key);
    try {
      await rename(tmpPath, target);
      await fsyncDir(dirname(target));
      return target;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
}

/** Removes now-empty directories from `dir` up to (not including) the root; stops at the first that is not. */
export async function pruneEmptyDirs(rootReal: string, dir: string): Promise<void> {
  let current = dir;
  while (isInside(rootReal, current)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty, already gone, or busy: all fine
    }
    current = dirname(current);
  }
}

const CHUNK = 1024 * 1024;

/** Copies `src` into the open handle from position 0, hashing what it writes. */
export async function copyHashing(src: string, dst: FileHandle, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const input = await open(src, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await input.read(buf, 0, CHUNK, size);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      await writeFully(dst, chunk, size);
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await input.close();
  }
}

export async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Reads exactly `length` bytes at `position` (short reads are retried; EOF before that throws). */
export async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new StorageError('local_changed', `file ended at ${position + done}, expected ${position + length} bytes`);
    done += bytesRead;
  }
  return buf;
}

/** Hashes [start, end) of an open file into each of `hashes`. */
export async function hashRange(fh: FileHandle, start: number, end: number, hashes: readonly Hash[], signal?: AbortSignal): Promise<void> {
  for (let pos = start; pos < end; pos += CHUNK) {
    throwIfAborted(signal);
    const chunk = await readExactly(fh, pos, Math.min(CHUNK, end - pos));
    for (const h of hashes) h.update(chunk);
  }
}
