/**
 * The local filesystem store, the embedded default: objects are files under `root` at their key's path.
 *
 * - Writes are atomic: a temp file under `<root>/.scriba-tmp/`, fsync, rename, fsync of the directory. A
 *   reader sees the old object or the new one, never a partial file, even across a crash.
 * - No object path leaves the root: keys are validated (object-key.ts) and every resolved path is checked
 *   against the root's real path, so a symlink placed inside the root cannot lead out of it.
 * - Links are HMAC-signed and expiring (local-link.ts), served by serveLocalLink (local-link-handler.ts).
 * - The content type is not stored: it comes from the key's extension when serving.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import {
  StorageError,
  assertLinkTtl,
  readSpan,
  throwIfAborted,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type OpOptions,
  type PutSource,
  type ReadOptions,
  type RecordedPart,
  type StoredObject,
  type WriteOptions,
} from './object-store.ts';
import { assertKey, assertPrefix } from './object-key.ts';
import { MIN_LINK_SECRET_LENGTH, buildLocalLink, verifyLocalLink, type LinkSecrets, type LinkVerdict } from './local-link.ts';
import { copyHashing, errnoOf, localError, publish, pruneEmptyDirs, readExactly, resolveExisting, writeFully } from './local-fs.ts';
import { LocalMultipart, localUploadPath, newLocalUploadId, resumeLocalMultipart } from './local-multipart.ts';

/** Temp files of writes and uploads in progress; never a key's first segment. */
export const LOCAL_TMP_DIR = '.scriba-tmp';

export interface LocalStoreOptions {
  readonly root: string;
  /** Where Scriba's HTTP server is reachable from users, e.g. `https://rec.example.com`; '' disables links. */
  readonly publicBaseUrl: string;
  /** Signs links (the first) and verifies them (any); each at least 32 characters. Empty disables links. */
  readonly linkSecret: LinkSecrets;
  /** Clock for link expiry (ms). */
  readonly now?: () => number;
}

export interface OpenedObject {
  readonly handle: FileHandle;
  readonly size: number;
  readonly lastModifiedMs: number;
}

export interface LocalStore extends ObjectStore {
  readonly kind: 'local';
  readonly root: string;
  /** Opens an object for reading (regular files inside the root only); null when missing. Caller closes. */
  openForRead(key: string): Promise<OpenedObject | null>;
  /** verifyLocalLink with this store's secrets and clock. */
  verifyLink(path: string, query: URLSearchParams | string): LinkVerdict;
}

export function createLocalStore(options: LocalStoreOptions): LocalStore {
  return new LocalFsStore(options);
}

function etagOf(size: number, mtimeMs: number): string {
  return `${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}`;
}

class LocalFsStore implements LocalStore {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly minPartSize = 1;
  readonly maxParts = Number.MAX_SAFE_INTEGER;
  readonly root: string;
  readonly #publicBaseUrl: string;
  readonly #secrets: readonly string[];
  readonly #now: () => number;
  #rootReal: Promise<string> | null = null;

  constructor(options: LocalStoreOptions) {
    this.root = options.root;
    this.description = `file://${options.root}`;
    this.#publicBaseUrl = options.publicBaseUrl;
    const secrets = typeof options.linkSecret === 'string' ? [options.linkSecret] : [...options.linkSecret];
    this.#secrets = secrets.filter((s) => s !== '');
    if (this.#secrets.some((s) => s.length < MIN_LINK_SECRET_LENGTH)) {
      throw new StorageError('config', `local store link secrets must be at least ${MIN_LINK_SECRET_LENGTH} characters`);
    }
    this.#now = options.now ?? Date.now;
  }

  /** The root's real path, created on first use (cached; a failure is retried on the next call). */
  #root(): Promise<string> {
    this.#rootReal ??= mkdir(this.root, { recursive: true })
      .then(() => realpath(this.root))
      .catch((err: unknown) => {
        this.#rootReal = null;
        throw localError(err, `opening the store root ${this.root}`);
      });
    return this.#rootReal;
  }

  #key(key: string): string {
    assertKey(key);
    if (key === LOCAL_TMP_DIR || key.startsWith(`${LOCAL_TMP_DIR}/`)) {
      throw new StorageError('invalid_key', `object key ${JSON.stringify(key)} uses the reserved ${LOCAL_TMP_DIR}/`);
    }
    return key;
  }

  async #tempFile(): Promise<{ path: string; fh: FileHandle }> {
    const dir = join(await this.#root(), LOCAL_TMP_DIR);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${randomUUID()}.part`);
    return { path, fh: await open(path, 'wx') };
  }

  async put(key: string, source: PutSource, options: WriteOptions = {}): Promise<StoredObject> {
    this.#key(key);
    throwIfAborted(options.signal);
    const rootReal = await this.#root();
    let tmp: { path: string; fh: FileHandle } | null = null;
    try {
      tmp = await this.#tempFile();
      let written: { size: number; sha256: string };
      if ('bytes' in source) {
        await writeFully(tmp.fh, source.bytes, 0);
        written = { size: source.bytes.length, sha256: createHash('sha256').update(source.bytes).digest('hex') };
      } else {
        written = await copyHashing(source.path, tmp.fh, options.signal);
      }
      await tmp.fh.sync();
      await tmp.fh.close();
      throwIfAborted(options.signal);
      await publish(rootReal, tmp.path, key);
      tmp = null;
      return { key, ...written };
    } catch (err) {
      throw localError(err, `storing ${key}`);
    } finally {
      if (tmp !== null) {
        await tmp.fh.close().catch(() => undefined);
        await rm(tmp.path, { force: true });
      }
    }
  }

  async createMultipart(key: string, options: WriteOptions = {}): Promise<MultipartUpload> {
    this.#key(key);
    throwIfAborted(options.signal);
    try {
      const rootReal = await this.#root();
      const dir = join(rootReal, LOCAL_TMP_DIR);
      await mkdir(dir, { recursive: true });
      const uploadId = newLocalUploadId(key);
      const path = localUploadPath(dir, uploadId);
      return new LocalMultipart(rootReal, key, uploadId, path, await open(path, 'wx'));
    } catch (err) {
      throw localError(err, `starting an upload of ${key}`);
    }
  }

  async resumeMultipart(key: string, uploadId: string, parts: readonly RecordedPart[], options: OpOptions = {}): Promise<MultipartUpload> {
    this.#key(key);
    throwIfAborted(options.signal);
    const rootReal = await this.#root();
    return resumeLocalMultipart(rootReal, join(rootReal, LOCAL_TMP_DIR), key, uploadId, parts, options.signal);
  }

  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array | null> {
    throwIfAborted(options.signal);
    const opened = await this.openForRead(key);
    if (opened === null) return null;
    try {
      const { start, end } = readSpan(key, opened.size, options.range);
      if (options.maxBytes !== undefined && end - start > options.maxBytes) {
        throw new StorageError('rejected', `reading ${key}: ${end - start} bytes is more than ${options.maxBytes}`);
      }
      return await readExactly(opened.handle, start, end - start);
    } catch (err) {
      throw localError(err, `reading ${key}`);
    } finally {
      await opened.handle.close();
    }
  }

  async head(key: string, options: OpOptions = {}): Promise<ObjectInfo | null> {
    this.#key(key);
    throwIfAborted(options.signal);
    try {
      const real = await resolveExisting(await this.#root(), key);
      if (real === null) return null;
      const st = await stat(real);
      if (!st.isFile()) return null;
      return { key, size: st.size, lastModifiedMs: st.mtimeMs, etag: etagOf(st.size, st.mtimeMs), sha256: null };
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw localError(err, `looking up ${key}`);
    }
  }

  async openForRead(key: string): Promise<OpenedObject | null> {
    this.#key(key);
    const real = await resolveExisting(await this.#root(), key);
    if (real === null) return null;
    let handle: FileHandle;
    try {
      handle = await open(real, 'r');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'EISDIR') return null;
      throw localError(err, `opening ${key}`);
    }
    try {
      const st = await handle.stat();
      if (st.isFile()) return { handle, size: st.size, lastModifiedMs: st.mtimeMs };
    } catch (err) {
      await handle.close();
      throw localError(err, `opening ${key}`);
    }
    await handle.close();
    return null;
  }

  async list(prefix: string, options: OpOptions = {}): Promise<ObjectInfo[]> {
    assertPrefix(prefix);
    const rootReal = await this.#root();
    // Only walk the directory the prefix is certainly inside.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const out: ObjectInfo[] = [];
    const walk = async (relDir: string): Promise<void> => {
      throwIfAborted(options.signal);
      let entries;
      try {
        entries = await readdir(join(rootReal, relDir), { withFileTypes: true });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return; // deleted meanwhile, or not a dir
        throw localError(err, `listing ${relDir || '/'}`);
      }
      for (const entry of entries) {
        const rel = relDir === '' ? entry.name : posix.join(relDir, entry.name);
        if (relDir === '' && entry.name === LOCAL_TMP_DIR) continue;
        // Symlinks are neither followed nor listed: the store only ever creates directories and files.
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${rel}/`) || rel.startsWith(prefix)) await walk(rel);
        } else if (entry.isFile() && rel.startsWith(prefix)) {
          const st = await lstat(join(rootReal, rel)).catch(() => null);
          if (st?.isFile()) {
            out.push({ key: rel, size: st.size, lastModifiedMs: st.mtimeMs, etag: etagOf(st.size, st.mtimeMs), sha256: null });
          }
        }
      }
    };
    await walk(dirPart);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string, options: OpOptions = {}): Promise<void> {
    this.#key(key);
    throwIfAborted(options.signal);
    const rootReal = await this.#root();
    // The parent must resolve inside the root (else invalid_key); the object itself may be a symlink:
    // unlinking removes the link, never its target.
    const slash = key.lastIndexOf('/');
    let path = join(rootReal, key);
    if (slash > 0) {
      const parentReal = await resolveExisting(rootReal, key.slice(0, slash));
      if (parentReal === null) return;
      path = join(parentReal, key.slice(slash + 1));
    }
    try {
      await unlink(path);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw localError(err, `deleting ${key}`);
    }
    await pruneEmptyDirs(rootReal, dirname(path));
  }

  async link(key: string, ttlSec: number): Promise<string> {
    this.#key(key);
    assertLinkTtl(ttlSec);
    if (this.#publicBaseUrl === '' || this.#secrets.length === 0) {
      throw new StorageError('config', 'local store links need a public base URL and a link secret');
    }
    const expSec = Math.floor(this.#now() / 1000) + ttlSec;
    return buildLocalLink(this.#publicBaseUrl, key, expSec, this.#secrets);
  }

  verifyLink(path: string, query: URLSearchParams | string): LinkVerdict {
    if (this.#secrets.length === 0) return { ok: false, reason: 'bad_signature' };
    return verifyLocalLink(path, query, this.#secrets, Math.floor(this.#now() / 1000));
  }

  async abortIncompleteUploads(olderThanMs: number, options: OpOptions = {}): Promise<number> {
    const dir = join(await this.#root(), LOCAL_TMP_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return 0;
      throw localError(err, 'listing incomplete uploads');
    }
    let removed = 0;
    for (const name of names) {
      throwIfAborted(options.signal);
      const path = join(dir, name);
      // mtime: an upload that is still receiving parts keeps touching its temp file.
      const st = await lstat(path).catch(() => null);
      if (st === null || st.mtimeMs >= olderThanMs) continue;
      await rm(path, { force: true, recursive: true });
      removed += 1;
    }
    return removed;
  }
}
