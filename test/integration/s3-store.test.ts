/**
 * The S3 store against s3rver on loopback (started in-process by the test; see test/helpers/s3-server.ts for
 * what s3rver does and does not do): the conformance suite, then S3-only behaviour: the store going away in
 * the middle of an upload, the default credential chain, prefixes, encryption options, large puts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { startGrowingFileUpload } from '../../src/storage/growing-file-upload.ts';
import { createS3Store, type S3StoreOptions } from '../../src/storage/s3-store.ts';
import { sweepExpired } from '../../src/storage/retention.ts';
import { describeObjectStoreConformance, download, writeSlowly } from '../conformance/object-store.suite.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';

const MiB = 1024 * 1024;
const silent = createLogger({ level: 'silent' });
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function storeOptions(server: S3TestServer, extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket: server.bucket,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    maxAttempts: 1, // our own retry loop is under test, not the SDK's
    ...extra,
  };
}

describeObjectStoreConformance('s3 (s3rver)', async (now) => {
  const server = await startS3Server();
  return {
    store: createS3Store(storeOptions(server, { prefix: 'conformance', now })),
    // Another process: its own client (no state shared but the server's).
    reopen: () => createS3Store(storeOptions(server, { prefix: 'conformance' })),
    listsIncompleteUploads: false, // s3rver: ListMultipartUploads is not implemented
    abortsUploads: false, // s3rver: AbortMultipartUpload answers 405
    cleanup: () => server.close(),
  };
});

describe('s3 store specifics (s3rver)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function server(): Promise<S3TestServer> {
    const s = await startS3Server();
    cleanups.push(() => s.close());
    return s;
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-s3-test-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('finishes an upload after the store was down in the middle of it, bytes intact', async () => {
    const s3 = await server();
    const store = createS3Store(storeOptions(s3));
    const path = join(tempDir(), 'outage.mp4');
    const retries: number[] = [];
    const upload = startGrowingFileUpload({
      store,
      key: 'outage/room.mp4',
      path,
      partSize: 5 * MiB,
      pollMs: 50,
      retry: { initialDelayMs: 100, maxDelayMs: 500 },
      logger: silent,
    });
    const writing = writeSlowly(path, 18 * MiB, 512 * 1024, 60);
    // Stop the server once the first part is in, keep it down for 3 s while the file keeps growing.
    while (upload.progress().partsUploaded < 1) await sleep(20);
    await s3.stop();
    const downAt = Date.now();
    while (Date.now() - downAt < 3_000) {
      if (upload.progress().storeDown) retries.push(upload.progress().failures);
      await sleep(100);
    }
    expect(upload.progress().storeDown).toBe(true);
    await s3.start();
    const written = await writing;
    const result = await upload.finish();
    expect(retries.length).toBeGreaterThan(0);
    expect(result.failures).toBeGreaterThan(0);
    expect(result).toMatchObject({ size: written.length, sha256: sha256(written), parts: 4 });
    const got = await download(await store.link('outage/room.mp4', 60));
    expect(sha256(got.bytes)).toBe(sha256(written));
  });

  it('a store that stays down fails the upload once the policy gives up; the local file is kept', async () => {
    const s3 = await server();
    const store = createS3Store(storeOptions(s3));
    const path = join(tempDir(), 'down.json');
    writeFileSync(path, '{"a":1}');
    await s3.stop();
    const upload = startGrowingFileUpload({
      store,
      key: 'down/m.json',
      path,
      retry: { initialDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 500 },
      logger: silent,
    });
    await expect(upload.finish()).rejects.toMatchObject({ reason: 'unavailable', retryable: true });
    expect(upload.progress().failures).toBeGreaterThan(1);
  });

  it('takes credentials from the default provider chain (AWS_* environment variables)', async () => {
    const s3 = await server();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_PROFILE', '');
    const { credentials: _ignored, ...withoutCredentials } = storeOptions(s3);
    const store = createS3Store({ ...withoutCredentials, region: '' });
    await store.put('env/x.txt', { bytes: Buffer.from('from env') });
    expect((await store.head('env/x.txt'))?.size).toBe(8);
  });

  it('keeps each store inside its prefix, retention included', async () => {
    const s3 = await server();
    const a = createS3Store(storeOptions(s3, { prefix: 'tenant-a' }));
    const b = createS3Store(storeOptions(s3, { prefix: '/tenant-b/' }));
    await a.put('s1/video.mp4', { bytes: Buffer.from('a') });
    await b.put('s1/video.mp4', { bytes: Buffer.from('bb') });
    expect((await a.list('')).map((o) => [o.key, o.size])).toEqual([['s1/video.mp4', 1]]);
    await sweepExpired({ stores: [a], localDirs: [], now: () => Date.now() + 25 * 3600_000, logger: silent });
    expect(await a.list('')).toEqual([]);
    expect((await b.head('s1/video.mp4'))?.size).toBe(2);
    // The raw object names carry the prefix.
    const raw = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    const res = await raw.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'tenant-b/s1/video.mp4' }));
    expect(await res.Body?.transformToString()).toBe('bb');
    raw.destroy();
  });

  it('accepts the encryption options and records the SHA-256 of single puts', async () => {
    const s3 = await server();
    for (const sse of ['AES256', 'aws:kms'] as const) {
      const store = createS3Store(
        storeOptions(s3, { serverSideEncryption: sse, ...(sse === 'aws:kms' ? { kmsKeyId: 'alias/scriba' } : {}) }),
      );
      const put = await store.put(`sse/${sse.replace(':', '-')}.txt`, { bytes: Buffer.from(sse) });
      expect((await store.head(put.key))?.sha256).toBe(put.sha256);
    }
    expect(() => createS3Store(storeOptions(s3, { kmsKeyId: 'alias/x' }))).toThrow(/aws:kms/);
  });

  it('puts a file larger than one request as a multipart upload', async () => {
    const s3 = await server();
    const store = createS3Store(storeOptions(s3));
    const path = join(tempDir(), 'big.bin');
    const bytes = randomBytes(40 * MiB + 5);
    writeFileSync(path, bytes);
    const put = await store.put('big/big.bin', { path });
    expect(put).toEqual({ key: 'big/big.bin', size: bytes.length, sha256: sha256(bytes) });
    expect(sha256((await download(await store.link('big/big.bin', 60))).bytes)).toBe(sha256(bytes));
  });

  it('signs links for a public endpoint when one is configured', async () => {
    const s3 = await server();
    const store = createS3Store(storeOptions(s3, { publicEndpoint: 'https://files.example.com' }));
    const link = await store.link('x/video.mp4', 3600);
    expect(link.startsWith('https://files.example.com/scriba-test/x/video.mp4?')).toBe(true);
    expect(link).toContain('X-Amz-Expires=3600');
  });

  it('reports a missing bucket as a configuration error, not an outage', async () => {
    const s3 = await server();
    const store = createS3Store(storeOptions(s3, { bucket: 'no-such-bucket' }));
    await expect(store.put('a.txt', { bytes: Buffer.from('x') })).rejects.toMatchObject({ reason: 'config', retryable: false });
  });
});
