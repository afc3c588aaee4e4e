import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { localLinkRequestHandler, localLinksPlugin } from '../../../src/storage/local-link-handler.ts';
import { localLinkSignature } from '../../../src/storage/local-link.ts';
import { createLocalStore, LOCAL_TMP_DIR, type LocalStore } from '../../../src/storage/local-store.ts';
import { StorageError } from '../../../src/storage/object-store.ts';
import { describeObjectStoreConformance, download } from '../../conformance/object-store.suite.ts';

const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A local store under a temp dir, its links served by a plain Node server on loopback. */
async function openServedStore(now: () => number): Promise<{ store: LocalStore; root: string; port: number; close: () => Promise<void> }> {
  const base = mkdtempSync(join(tmpdir(), 'scriba-local-store-'));
  const root = join(base, 'store');
  let handler: ReturnType<typeof localLinkRequestHandler> | null = null;
  const server = createServer((req, res) => void handler?.(req, res));
  const port = await listen(server);
  const store = createLocalStore({ root, publicBaseUrl: `http://127.0.0.1:${port}/`, linkSecret: SECRET, now });
  handler = localLinkRequestHandler(store);
  return {
    store,
    root,
    port,
    close: async () => {
      await closeServer(server);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

describeObjectStoreConformance('local filesystem', async (now) => {
  const served = await openServedStore(now);
  return {
    store: served.store,
    // Another process sharing the store root.
    reopen: () => createLocalStore({ root: served.root, publicBaseUrl: '', linkSecret: '' }),
    listsIncompleteUploads: true,
    abortsUploads: true,
    cleanup: served.close,
  };
});

/** GET with the path sent exactly as given (fetch would normalize `..` and `%2e%2e` away). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local store specifics', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function served(now: () => number = Date.now) {
    const s = await openServedStore(now);
    cleanups.push(s.close);
    return s;
  }

  const signedPath = (rawPath: string, signedKey: string, exp = Math.floor(Date.now() / 1000) + 600): string =>
    `/v1/files/${rawPath}?exp=${exp}&sig=${localLinkSignature(signedKey, exp, SECRET)}`;

  it('refuses tampered signatures, changed paths and expired links with 403; a missing object is 404', async () => {
    let clock = Date.now();
    const { store, port } = await served(() => clock);
    await store.put('s/a.mp4', { bytes: Buffer.from('aaa') });
    await store.put('s/b.mp4', { bytes: Buffer.from('bbb') });
    const link = new URL(await store.link('s/a.mp4', 60));
    const path = link.pathname + link.search;
    expect((await rawGet(port, path)).body.toString()).toBe('aaa');

    const sig = link.searchParams.get('sig') ?? '';
    const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    expect((await rawGet(port, path.replace(sig, flipped))).status).toBe(403);
    expect((await rawGet(port, path.replace('/s/a.mp4', '/s/b.mp4'))).status).toBe(403);
    expect(
      (
        await rawGet(
          port,
          path.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 1}`),
        )
      ).status,
    ).toBe(403);
    expect((await rawGet(port, link.pathname)).status).toBe(403);

    clock += 61_000;
    const expired = await rawGet(port, path);
    expect(expired.status).toBe(403);
    expect(expired.body.toString()).toContain('expired');

    const missing = new URL(await store.link('s/never-written.mp4', 60));
    expect((await rawGet(port, missing.pathname + missing.search)).status).toBe(404);
  });

  it('refuses traversal, even with a valid signature over the traversing key', async () => {
    const { store, port, root } = await served();
    await store.put('s/inside.txt', { bytes: Buffer.from('inside') });
    writeFileSync(join(root, '..', 'secret.txt'), 'SECRET');
    const attempts: Array<[string, string]> = [
      ['../secret.txt', '../secret.txt'],
      ['%2e%2e/secret.txt', '../secret.txt'],
      ['s/%2E%2E/%2e%2e/secret.txt', 's/../../secret.txt'],
      ['s%2F..%2F..%2Fsecret.txt', 's/../../secret.txt'],
      ['/etc/passwd', '/etc/passwd'],
      ['%2Fetc%2Fpasswd', '/etc/passwd'],
      ['..%5Csecret.txt', '..\\secret.txt'],
      ['s/inside.txt%00', 's/inside.txt\u0000'],
      ['s%2Finside.txt', 's/inside.txt'], // not the canonical spelling of the key
    ];
    for (const [raw, key] of attempts) {
      const res = await rawGet(port, signedPath(raw, key));
      expect(res.status, raw).toBe(403);
      expect(res.body.toString(), raw).not.toContain('SECRET');
    }
    expect((await rawGet(port, signedPath('s/inside.txt', 's/inside.txt'))).body.toString()).toBe('inside');
  });

  it('never follows a symlink out of the root, for reads, writes, deletes or lists', async () => {
    const { store, port, root } = await served();
    await store.put('s/ok.txt', { bytes: Buffer.from('ok') }); // creates the root
    const outside = mkdtempSync(join(tmpdir(), 'scriba-outside-'));
    cleanups.push(async () => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, 'secret.txt'), 'SECRET');
    symlinkSync(join(outside, 'secret.txt'), join(root, 's', 'evil.txt'));
    symlinkSync(outside, join(root, 'd'));

    for (const key of ['s/evil.txt', 'd/secret.txt']) {
      const res = await rawGet(port, signedPath(key, key));
      expect(res.status, key).toBe(403);
      expect(res.body.toString()).not.toContain('SECRET');
      await expect(store.head(key)).rejects.toMatchObject({ reason: 'invalid_key' });
    }
    await expect(store.put('d/new.txt', { bytes: Buffer.from('x') })).rejects.toMatchObject({ reason: 'invalid_key' });
    await expect(store.delete('d/secret.txt')).rejects.toMatchObject({ reason: 'invalid_key' });
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect((await store.list('')).map((o) => o.key)).toEqual(['s/ok.txt']);
    // Deleting the link itself removes the link, never its target.
    await store.delete('s/evil.txt');
    expect(existsSync(join(root, 's', 'evil.txt'))).toBe(false);
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
  });

  it('serves ranges, HEAD and the right headers; refuses other methods', async () => {
    const { store, port } = await served();
    const bytes = randomBytes(10_000);
    await store.put('r/ünïcode room.mp4', { bytes });
    const link = new URL(await store.link('r/ünïcode room.mp4', 60));
    const path = link.pathname + link.search;

    const full = await rawGet(port, path);
    expect(full.headers['content-type']).toBe('video/mp4');
    expect(full.headers['content-length']).toBe('10000');
    expect(full.headers['cache-control']).toBe('private, no-store');
    expect(full.headers['content-disposition']).toBe(
      `attachment; filename="_n_code room.mp4"; filename*=UTF-8''%C3%BCn%C3%AFcode%20room.mp4`,
    );

    const part = await rawGet(port, path, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 100-199/10000');
    expect(part.body.equals(bytes.subarray(100, 200))).toBe(true);
    expect((await rawGet(port, path, { range: 'bytes=-10' })).body.equals(bytes.subarray(9990))).toBe(true);
    expect((await rawGet(port, path, { range: 'bytes=20000-' })).status).toBe(416);

    const head = await rawGet(port, path, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('10000');
    expect(head.body.length).toBe(0);
    expect((await rawGet(port, path, {}, 'DELETE')).status).toBe(405);
  });

  it('writes atomically through a temp dir that is never listed, and prunes emptied directories', async () => {
    const { store, root } = await served();
    await store.put('a/b/c.txt', { bytes: Buffer.from('x') });
    expect(readdirSync(join(root, LOCAL_TMP_DIR))).toEqual([]);
    const upload = await store.createMultipart('a/b/d.txt');
    await upload.uploadPart(1, Buffer.from('partial'));
    expect(readdirSync(join(root, LOCAL_TMP_DIR))).toHaveLength(1);
    expect((await store.list('')).map((o) => o.key)).toEqual(['a/b/c.txt']);
    await upload.abort();
    expect(readdirSync(join(root, LOCAL_TMP_DIR))).toEqual([]);
    await expect(store.put(`${LOCAL_TMP_DIR}/x`, { bytes: Buffer.from('x') })).rejects.toMatchObject({ reason: 'invalid_key' });
    await store.delete('a/b/c.txt');
    expect(readdirSync(root).sort()).toEqual([LOCAL_TMP_DIR]);
  });

  it('a local multipart upload refuses parts out of order', async () => {
    const { store } = await served();
    const upload = await store.createMultipart('m/x.bin');
    await expect(upload.uploadPart(2, Buffer.from('x'))).rejects.toMatchObject({ reason: 'rejected' });
    await upload.uploadPart(1, Buffer.from('abc'));
    await upload.uploadPart(2, Buffer.from('defgh'));
    await expect(upload.uploadPart(1, Buffer.from('ab'))).rejects.toMatchObject({ reason: 'rejected' });
    await upload.uploadPart(2, Buffer.from('de')); // the last part may be resent shorter
    await upload.complete();
    const link = await store.link('m/x.bin', 60);
    expect((await download(link)).bytes.toString()).toBe('abcde');
  });

  it('mounts as a Fastify plugin', async () => {
    const base = mkdtempSync(join(tmpdir(), 'scriba-fastify-'));
    const app = Fastify(); // a wildcard route: no maxParamLength needed for long keys
    cleanups.push(async () => {
      await app.close();
      rmSync(base, { recursive: true, force: true });
    });
    mkdirSync(join(base, 'store'));
    let store: LocalStore | null = null;
    await app.register(async (scope) => {
      await localLinksPlugin(scope, {
        get store() {
          return store as LocalStore;
        },
      });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    store = createLocalStore({ root: join(base, 'store'), publicBaseUrl: `http://127.0.0.1:${port}`, linkSecret: SECRET });
    writeFileSync(join(base, 'secret.txt'), 'SECRET');
    const longKey = `${'s'.repeat(128)}/${'room_'.repeat(20)}2024-05-01-10-00-00.mp4`;
    const bytes = randomBytes(50_000);
    await store.put(longKey, { bytes });
    const got = await download(await store.link(longKey, 60));
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.headers.get('content-length')).toBe('50000');
    const url = new URL(await store.link(longKey, 60));
    const head = await rawGet(port, url.pathname + url.search, {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '50000', 0]);
    for (const raw of ['../secret.txt', '%2e%2e/secret.txt']) {
      const res = await rawGet(port, signedPath(raw, '../secret.txt'));
      expect(res.status).not.toBe(200);
      expect(res.body.toString()).not.toContain('SECRET');
    }
  });

  it('refuses short link secrets and links without a base URL', async () => {
    expect(() => createLocalStore({ root: '/tmp/x', publicBaseUrl: 'http://h', linkSecret: 'short' })).toThrow(StorageError);
    const store = createLocalStore({ root: join(tmpdir(), 'scriba-never-created'), publicBaseUrl: '', linkSecret: '' });
    await expect(store.link('a.mp4', 60)).rejects.toMatchObject({ reason: 'config' });
    expect(store.verifyLink('/v1/files/a.mp4', 'exp=1&sig=x')).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('local store: resuming uploads across processes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function root(): string {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-resume-'));
    dirs.push(dir);
    return join(dir, 'store');
  }

  const open = (r: string) => createLocalStore({ root: r, publicBaseUrl: '', linkSecret: '' });
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  it('keeps an upload in one file named by its id, which only its key can resume, as recorded', async () => {
    const r = root();
    const upload = await open(r).createMultipart('a/rec.mp4');
    const p1 = Buffer.from('first part');
    const sent = await upload.uploadPart(1, p1);
    expect(sent).toEqual({ partNumber: 1, size: p1.length, etag: sha(p1) });
    expect(readdirSync(join(r, LOCAL_TMP_DIR))).toEqual([`${upload.uploadId}.upload`]);
    const parts = [{ ...sent, sha256: sha(p1) }];

    const other = open(r);
    await expect(other.resumeMultipart('a/other.mp4', upload.uploadId, parts)).rejects.toMatchObject({ reason: 'upload_lost' });
    await expect(other.resumeMultipart('a/rec.mp4', '../../etc/passwd', parts)).rejects.toMatchObject({ reason: 'upload_lost' });
    await expect(other.resumeMultipart('a/rec.mp4', upload.uploadId, [{ ...parts[0]!, size: 99 }])).rejects.toMatchObject({
      reason: 'verify_failed',
    });
    const changed = { ...parts[0]!, sha256: sha(Buffer.from('other bytes')), etag: sha(Buffer.from('other bytes')) };
    await expect(other.resumeMultipart('a/rec.mp4', upload.uploadId, [changed])).rejects.toMatchObject({ reason: 'verify_failed' });
    await expect(other.resumeMultipart('a/rec.mp4', upload.uploadId, [{ ...parts[0]!, partNumber: 2 }])).rejects.toMatchObject({
      reason: 'rejected',
    });

    const resumed = await other.resumeMultipart('a/rec.mp4', upload.uploadId, parts);
    await resumed.uploadPart(2, Buffer.from(' and more'));
    await resumed.complete();
    expect(Buffer.from((await other.read('a/rec.mp4')) ?? []).toString()).toBe('first part and more');
    expect(readdirSync(join(r, LOCAL_TMP_DIR))).toEqual([]);
    await expect(other.resumeMultipart('a/rec.mp4', upload.uploadId, parts)).rejects.toMatchObject({ reason: 'upload_lost' });
  });
});
