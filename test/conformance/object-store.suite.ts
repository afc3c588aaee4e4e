/**
 * The object-store conformance suite: every ObjectStore (local filesystem, S3 via s3rver) runs these same
 * tests. Links are fetched over loopback; time enters through the store's clock (`now`, which the suite can
 * shift) and the retention sweep's `now`, never by waiting a day.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { startGrowingFileUpload } from '../../src/storage/growing-file-upload.ts';
import {
  MAX_LINK_TTL_SEC,
  StorageError,
  type MultipartUpload,
  type ObjectStore,
  type RecordedPart,
  type SentPart,
} from '../../src/storage/object-store.ts';
import { sweepExpired } from '../../src/storage/retention.ts';
import { salvageUpload } from '../../src/storage/salvage-upload.ts';
import { parseUploadCheckpoint, tailChunkPrefix, type UploadCheckpoint } from '../../src/storage/upload-checkpoint.ts';

export interface StoreUnderTest {
  readonly store: ObjectStore;
  /** A second store instance over the same data, as another worker process would open it. */
  readonly reopen: () => ObjectStore;
  /** abortIncompleteUploads works here (s3rver has no ListMultipartUploads). */
  readonly listsIncompleteUploads: boolean;
  /** Aborting a multipart upload works here (s3rver answers AbortMultipartUpload with 405). */
  readonly abortsUploads: boolean;
  readonly cleanup: () => Promise<void>;
}

/** `now` is the store's clock: the suite shifts it to make links that are already expired. */
export type StoreFactory = (now: () => number) => Promise<StoreUnderTest>;

const MiB = 1024 * 1024;
const HOUR_MS = 3600_000;
const silent = createLogger({ level: 'silent' });
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function download(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

async function rejection(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StorageError) return err;
    throw err;
  }
  throw new Error('expected a StorageError, but the call succeeded');
}

const recorded = (sent: SentPart, bytes: Uint8Array): RecordedPart => ({ ...sent, sha256: sha256(bytes) });
/** What the queue gives back: JSON, as stored. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** complete(), tried again while the store answers "try again" (as a caller's retry loop would). */
async function completeRetrying(upload: MultipartUpload): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await upload.complete();
    } catch (err) {
      if (!(err instanceof StorageError) || !err.retryable || attempt >= 5) throw err;
    }
  }
}

/** Appends `total` random bytes to `path` in `chunk`-sized writes every `everyMs`; resolves with all the bytes. */
export async function writeSlowly(path: string, total: number, chunk: number, everyMs: number): Promise<Buffer> {
  const all = randomBytes(total);
  const fh = await open(path, 'w');
  try {
    for (let pos = 0; pos < total; pos += chunk) {
      await fh.write(all, pos, Math.min(chunk, total - pos), pos);
      await sleep(everyMs);
    }
  } finally {
    await fh.close();
  }
  return all;
}

export function describeObjectStoreConformance(name: string, factory: StoreFactory): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    let offsetMs = 0;
    const now = (): number => Date.now() + offsetMs;
    afterEach(async () => {
      offsetMs = 0;
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function open_(): Promise<StoreUnderTest> {
      const under = await factory(now);
      cleanups.push(under.cleanup);
      return under;
    }

    function tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'scriba-store-src-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    }

    it('puts bytes and files; head, list and links give them back', async () => {
      const { store } = await open_();
      const small = Buffer.from('{"hello":"world"}\n');
      const put1 = await store.put('s1/metadata.json', { bytes: small });
      expect(put1).toEqual({ key: 's1/metadata.json', size: small.length, sha256: sha256(small) });

      const file = join(tempDir(), 'media.mp4');
      const big = randomBytes(3 * MiB + 17);
      writeFileSync(file, big);
      const put2 = await store.put('s1/room_2024.mp4', { path: file }, { contentType: 'video/mp4' });
      expect(put2).toEqual({ key: 's1/room_2024.mp4', size: big.length, sha256: sha256(big) });

      const head = await store.head('s1/room_2024.mp4');
      expect(head).toMatchObject({ key: 's1/room_2024.mp4', size: big.length });
      expect(Math.abs((head?.lastModifiedMs ?? 0) - Date.now())).toBeLessThan(60_000);
      expect(head?.etag).not.toBe('');

      const listed = await store.list('s1/');
      expect(listed.map((o) => [o.key, o.size])).toEqual([
        ['s1/metadata.json', small.length],
        ['s1/room_2024.mp4', big.length],
      ]);

      const got = await download(await store.link('s1/room_2024.mp4', 60));
      expect(got.status).toBe(200);
      expect(sha256(got.bytes)).toBe(sha256(big));
      expect(got.headers.get('content-disposition')).toContain('attachment');
      expect(got.headers.get('content-disposition')).toContain('room_2024.mp4');
    });

    it('a put replaces the object', async () => {
      const { store } = await open_();
      await store.put('a/x.txt', { bytes: Buffer.from('first version') });
      await store.put('a/x.txt', { bytes: Buffer.from('second') });
      expect((await store.head('a/x.txt'))?.size).toBe(6);
      expect((await download(await store.link('a/x.txt', 60))).bytes.toString()).toBe('second');
    });

    it('head of a missing key is null and delete is idempotent', async () => {
      const { store } = await open_();
      expect(await store.head('nope/none.mp4')).toBeNull();
      await store.delete('nope/none.mp4');
      await store.put('d/x.bin', { bytes: Buffer.from([1, 2, 3]) });
      await store.delete('d/x.bin');
      await store.delete('d/x.bin');
      expect(await store.head('d/x.bin')).toBeNull();
      expect(await store.list('d/')).toEqual([]);
    });

    it('lists by plain string prefix, sorted, and nothing else', async () => {
      const { store } = await open_();
      for (const key of ['rec/2024-05/b.mp4', 'rec/2024-05/a.mp4', 'rec/2024-06/c.mp4', 'recx/d.mp4', 'other/e.mp4']) {
        await store.put(key, { bytes: Buffer.from(key) });
      }
      expect((await store.list('rec/')).map((o) => o.key)).toEqual(['rec/2024-05/a.mp4', 'rec/2024-05/b.mp4', 'rec/2024-06/c.mp4']);
      expect((await store.list('rec/2024-0')).map((o) => o.key)).toHaveLength(3);
      expect((await store.list('rec/2024-05/a')).map((o) => o.key)).toEqual(['rec/2024-05/a.mp4']);
      expect((await store.list('rec')).map((o) => o.key)).toHaveLength(4);
      expect(await store.list('none/')).toEqual([]);
      expect((await store.list('')).length).toBe(5);
    });

    it('refuses invalid keys in every operation', async () => {
      const { store } = await open_();
      const bad = [
        '',
        '/abs.mp4',
        '../up.mp4',
        'a/../b.mp4',
        'a/./b',
        'a//b',
        'trailing/',
        'ctl\u0000.mp4',
        'tab\t.mp4',
        'back\\slash',
        'x'.repeat(1025),
      ];
      for (const key of bad) {
        expect((await rejection(store.put(key, { bytes: Buffer.from('x') }))).reason, key).toBe('invalid_key');
        expect((await rejection(store.head(key))).reason, key).toBe('invalid_key');
        expect((await rejection(store.delete(key))).reason, key).toBe('invalid_key');
        expect((await rejection(store.link(key, 60))).reason, key).toBe('invalid_key');
        expect((await rejection(store.createMultipart(key))).reason, key).toBe('invalid_key');
      }
      expect((await rejection(store.list('../'))).reason).toBe('invalid_key');
      expect((await rejection(store.list('/etc'))).reason).toBe('invalid_key');
    });

    it('multipart: parts in order, a part sent twice, complete', async () => {
      const { store } = await open_();
      const p1 = randomBytes(store.minPartSize);
      const p2 = randomBytes(1234);
      const upload = await store.createMultipart('m/parts.bin');
      await upload.uploadPart(1, p1);
      await upload.uploadPart(2, randomBytes(99)); // replaced by the retry below
      await upload.uploadPart(2, p2);
      expect(await store.head('m/parts.bin')).toBeNull(); // invisible until complete
      await upload.complete();
      const got = await download(await store.link('m/parts.bin', 60));
      expect(sha256(got.bytes)).toBe(sha256(Buffer.concat([p1, p2])));
    });

    it('uploads a file while it is being written (20 MiB over ~3 s, 5 MiB parts)', async () => {
      const { store } = await open_();
      const path = join(tempDir(), 'growing.mp4');
      const upload = startGrowingFileUpload({ store, key: 'g/growing.mp4', path, partSize: 5 * MiB, pollMs: 50, logger: silent });
      const written = await writeSlowly(path, 20 * MiB, 512 * 1024, 70);
      const partsBeforeStop = upload.progress().partsUploaded;
      const t0 = Date.now();
      const result = await upload.finish();
      const tailMs = Date.now() - t0;
      expect(partsBeforeStop).toBeGreaterThanOrEqual(3); // the parts left while the file was growing
      expect(result).toMatchObject({ key: 'g/growing.mp4', size: written.length, sha256: sha256(written), parts: 4, resentParts: 0 });
      expect(tailMs).toBeLessThan(5_000);
      const got = await download(await store.link('g/growing.mp4', 60));
      expect(got.bytes.length).toBe(written.length);
      expect(sha256(got.bytes)).toBe(sha256(written));
    });

    it('a growing upload of a small file is one put, of an empty file an empty object', async () => {
      const { store } = await open_();
      const dir = tempDir();
      const small = randomBytes(100_000);
      writeFileSync(join(dir, 'small.json'), small);
      writeFileSync(join(dir, 'empty.vtt'), '');
      const a = await startGrowingFileUpload({ store, key: 'p/small.json', path: join(dir, 'small.json'), logger: silent }).finish();
      expect(a).toMatchObject({ size: small.length, sha256: sha256(small), parts: 0 });
      const b = await startGrowingFileUpload({ store, key: 'p/empty.vtt', path: join(dir, 'empty.vtt'), logger: silent }).finish();
      expect(b).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)), parts: 0 });
      expect((await store.head('p/empty.vtt'))?.size).toBe(0);
      expect((await download(await store.link('p/small.json', 60))).bytes.equals(small)).toBe(true);
    });

    it('an aborted growing upload leaves no object and the local file intact', async () => {
      const { store } = await open_();
      const path = join(tempDir(), 'aborted.mp4');
      const bytes = randomBytes(5 * MiB + 1000);
      writeFileSync(path, bytes);
      const controller = new AbortController();
      const upload = startGrowingFileUpload({
        store,
        key: 'x/aborted.mp4',
        path,
        partSize: 5 * MiB,
        pollMs: 20,
        signal: controller.signal,
        logger: silent,
      });
      for (let i = 0; i < 200 && upload.progress().partsUploaded === 0; i += 1) await sleep(10);
      controller.abort();
      const err = await rejection(upload.finish());
      expect(err.reason).toBe('aborted');
      expect(await store.head('x/aborted.mp4')).toBeNull();
      const fh = await open(path, 'r');
      expect(sha256(await fh.readFile())).toBe(sha256(bytes));
      await fh.close();
    });

    it('links: exact bytes before expiry, refused after, TTL within 1 s … 7 days', async () => {
      const { store } = await open_();
      const bytes = randomBytes(200_000);
      await store.put('l/video.mp4', { bytes });
      const ok = await download(await store.link('l/video.mp4', 3600));
      expect(ok.status).toBe(200);
      expect(ok.bytes.equals(bytes)).toBe(true);

      offsetMs = -10 * 60_000; // signed ten minutes ago with a five-minute TTL: expired now
      const stale = await store.link('l/video.mp4', 300);
      offsetMs = 0;
      expect((await download(stale)).status).toBe(403);

      expect((await rejection(store.link('l/video.mp4', 0))).reason).toBe('config');
      expect((await rejection(store.link('l/video.mp4', MAX_LINK_TTL_SEC + 1))).reason).toBe('config');
      expect(await store.link('l/video.mp4', MAX_LINK_TTL_SEC)).toMatch(/^https?:\/\//);
    });

    it('retention: 23 h 59 min stays, 24 h goes; concurrent sweeps are fine', async () => {
      const { store } = await open_();
      for (const key of ['r/a/video.mp4', 'r/a/metadata.json', 'r/b/video.mp4']) await store.put(key, { bytes: Buffer.from(key) });
      const deleted: string[] = [];
      const sweep = (atMs: number) =>
        sweepExpired({
          stores: [store],
          localDirs: [],
          now: () => atMs,
          logger: silent,
          onDeleted: (a) => {
            if (a.kind === 'object') deleted.push(a.key);
          },
        });

      const early = await sweep(Date.now() + 23 * HOUR_MS + 59 * 60_000);
      expect(early).toMatchObject({ deletedObjects: 0, kept: 3, errors: 0 });
      expect(await store.list('r/')).toHaveLength(3);

      const at = Date.now() + 24 * HOUR_MS + 2_000;
      const [one, two] = await Promise.all([sweep(at), sweep(at)]);
      expect(one?.errors).toBe(0);
      expect(two?.errors).toBe(0);
      expect((one?.deletedObjects ?? 0) + (two?.deletedObjects ?? 0)).toBeGreaterThanOrEqual(3);
      expect(new Set(deleted)).toEqual(new Set(['r/a/video.mp4', 'r/a/metadata.json', 'r/b/video.mp4']));
      expect(await store.list('')).toEqual([]);
    });

    it('multipart: another process resumes from the recorded parts alone and completes', async () => {
      const under = await open_();
      const { store } = under;
      const p1 = randomBytes(store.minPartSize);
      const p2 = randomBytes(store.minPartSize + 3);
      const p3 = randomBytes(777);
      const upload = await store.createMultipart('r/resumed.mp4', { contentType: 'video/mp4' });
      expect(upload.uploadId).not.toBe('');
      const parts = [recorded(await upload.uploadPart(1, p1), p1), recorded(await upload.uploadPart(2, p2), p2)];
      expect(parts.map((p) => [p.partNumber, p.size, p.etag !== ''])).toEqual([
        [1, p1.length, true],
        [2, p2.length, true],
      ]);

      const resumed = await under.reopen().resumeMultipart('r/resumed.mp4', upload.uploadId, roundTrip(parts));
      expect([resumed.key, resumed.uploadId]).toEqual(['r/resumed.mp4', upload.uploadId]);
      await resumed.uploadPart(3, p3);
      await resumed.complete();
      const got = await download(await store.link('r/resumed.mp4', 60));
      expect(sha256(got.bytes)).toBe(sha256(Buffer.concat([p1, p2, p3])));
    });

    it('multipart: a part sent but never recorded is left out when the resumed upload completes', async () => {
      const under = await open_();
      const { store } = under;
      const p1 = randomBytes(store.minPartSize);
      const p2 = randomBytes(4321);
      const upload = await store.createMultipart('r/unrecorded.bin');
      const parts = [recorded(await upload.uploadPart(1, p1), p1), recorded(await upload.uploadPart(2, p2), p2)];
      await upload.uploadPart(3, randomBytes(999)); // the process died before recording this one
      const resumed = await under.reopen().resumeMultipart('r/unrecorded.bin', upload.uploadId, parts);
      await resumed.complete();
      expect((await store.head('r/unrecorded.bin'))?.size).toBe(p1.length + p2.length);
      expect(sha256((await download(await store.link('r/unrecorded.bin', 60))).bytes)).toBe(sha256(Buffer.concat([p1, p2])));
    });

    it('resuming an upload the store no longer knows fails with upload_lost', async () => {
      const under = await open_();
      const { store } = under;
      const p1 = randomBytes(store.minPartSize);
      const done = await store.createMultipart('r/done.bin');
      const parts = [recorded(await done.uploadPart(1, p1), p1)];
      await done.complete();
      const attempts: Array<[string, string]> = [
        ['r/done.bin', done.uploadId], // completed already
        ['r/never.bin', `${done.uploadId.slice(0, -4)}0000`], // an id the store never gave out
      ];
      for (const [key, id] of attempts) {
        const err = await rejection(
          (async () => {
            const u = await under.reopen().resumeMultipart(key, id, parts);
            await completeRetrying(u);
          })(),
        );
        expect(err.reason, `${key} ${id}`).toBe('upload_lost');
        expect(err.retryable).toBe(false);
      }
      expect((await store.head('r/done.bin'))?.size).toBe(p1.length);
      expect(await store.head('r/never.bin')).toBeNull();
    });

    it('a resumed upload can be aborted', async () => {
      const under = await open_();
      const { store } = under;
      const p = randomBytes(100);
      const upload = await store.createMultipart('r/aborted.bin');
      const parts = [recorded(await upload.uploadPart(1, p), p)];
      const resumed = await under.reopen().resumeMultipart('r/aborted.bin', upload.uploadId, parts);
      if (under.abortsUploads) {
        await resumed.abort();
        await resumed.abort();
        const err = await rejection(
          (async () => {
            const again = await under.reopen().resumeMultipart('r/aborted.bin', upload.uploadId, parts);
            await completeRetrying(again);
          })(),
        );
        expect(err.reason).toBe('upload_lost');
      } else {
        expect((await rejection(resumed.abort())).reason).toBe('unsupported');
      }
      expect(await store.head('r/aborted.bin')).toBeNull();
    });

    it('reads small objects back', async () => {
      const { store } = await open_();
      const bytes = randomBytes(70_000);
      await store.put('rd/tail-000001', { bytes });
      expect(Buffer.from((await store.read('rd/tail-000001')) ?? []).equals(bytes)).toBe(true);
      expect(await store.read('rd/missing')).toBeNull();
      expect((await rejection(store.read('rd/tail-000001', { maxBytes: 1000 }))).reason).toBe('rejected');
      expect((await rejection(store.read('../x'))).reason).toBe('invalid_key');
    });

    it('reads a byte range of an object without the rest', async () => {
      const { store } = await open_();
      const bytes = randomBytes(200_000);
      await store.put('rg/obj.bin', { bytes });
      const part = async (start: number, end: number): Promise<Buffer> =>
        Buffer.from((await store.read('rg/obj.bin', { range: { start, end }, maxBytes: end - start })) ?? []);
      expect((await part(0, 1000)).equals(bytes.subarray(0, 1000))).toBe(true);
      expect((await part(150_000, 160_000)).equals(bytes.subarray(150_000, 160_000))).toBe(true);
      // The end is clipped to the object's size.
      expect((await part(199_000, 300_000)).equals(bytes.subarray(199_000))).toBe(true);
      expect(await store.read('rg/missing', { range: { start: 0, end: 10 } })).toBeNull();
    });

    it('a growing upload checkpoints as it goes; salvage finishes it from the checkpoint alone', async () => {
      const under = await open_();
      const { store } = under;
      const path = join(tempDir(), 'rec.mp4');
      const bytes = randomBytes(10 * MiB + 300_000);
      writeFileSync(path, bytes);
      const seen: UploadCheckpoint[] = [];
      const upload = startGrowingFileUpload({
        store,
        key: 'c/rec.mp4',
        path,
        partSize: 5 * MiB,
        pollMs: 20,
        logger: silent,
        checkpoint: { tailIntervalMs: 50, onCheckpoint: (cp) => void seen.push(roundTrip(cp)) },
      });
      for (let i = 0; i < 1000 && (upload.checkpoint()?.bytes ?? 0) < bytes.length; i += 1) await sleep(10);
      const saved = await upload.detach(); // the process is gone: nothing is cleaned up, nothing completed
      expect(saved).toMatchObject({ key: 'c/rec.mp4', partBytes: 10 * MiB, bytes: bytes.length, wholeBytes: bytes.length });
      expect(saved?.parts.map((p) => [p.partNumber, p.size])).toEqual([
        [1, 5 * MiB],
        [2, 5 * MiB],
      ]);
      expect(saved?.tail.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toEqual(roundTrip(saved));
      expect(JSON.stringify(saved)).not.toContain(path);
      expect(await store.head('c/rec.mp4')).toBeNull();

      const result = await salvageUpload({ store: under.reopen(), checkpoint: parseUploadCheckpoint(roundTrip(saved)), logger: silent });
      expect(result).toMatchObject({
        status: 'salvaged',
        key: 'c/rec.mp4',
        size: bytes.length,
        parts: 3,
        tailBytes: 300_000,
        endsWhole: true,
        tailProblem: null,
      });
      expect(sha256((await download(await store.link('c/rec.mp4', 60))).bytes)).toBe(sha256(bytes));
      expect(await store.list(tailChunkPrefix('c/rec.mp4'))).toEqual([]);
    });

    it('salvage: nothing sent is nothing; an upload the store lost is reported lost, a completed one found', async () => {
      const under = await open_();
      const { store } = under;
      const retry = { initialDelayMs: 10, maxDelayMs: 20 };
      const base = {
        version: 1,
        contentType: 'video/mp4',
        tail: [],
        wholeBytes: 0,
        startedAtMs: Date.now() - 1000,
        updatedAtMs: Date.now(),
      };
      const nothing = parseUploadCheckpoint({ ...base, key: 'sv/none.mp4', uploadId: null, parts: [] });
      expect(await salvageUpload({ store, checkpoint: nothing, logger: silent })).toEqual({ status: 'nothing', key: 'sv/none.mp4' });

      const p1 = randomBytes(store.minPartSize);
      const done = await store.createMultipart('sv/done.mp4');
      const parts = [recorded(await done.uploadPart(1, p1), p1)];
      await done.complete(); // e.g. completed by the dead worker before its checkpoint was cleared
      const completed = parseUploadCheckpoint(roundTrip({ ...base, key: 'sv/done.mp4', uploadId: done.uploadId, parts }));
      // A store that cannot list parts only learns that the upload is gone when completing it again, and then
      // cannot tell whose complete made the object: either answer means "it is there".
      const again = await salvageUpload({ store: under.reopen(), checkpoint: completed, retry, logger: silent });
      expect(again).toMatchObject({ status: expect.stringMatching(/^(already-complete|salvaged)$/), key: 'sv/done.mp4', size: p1.length });

      const gone = parseUploadCheckpoint(roundTrip({ ...base, key: 'sv/gone.mp4', uploadId: `${done.uploadId.slice(0, -4)}0000`, parts }));
      const lost = await salvageUpload({ store: under.reopen(), checkpoint: gone, retry, logger: silent });
      expect(lost).toMatchObject({ status: 'lost', key: 'sv/gone.mp4' });
      expect(lost.status === 'lost' ? lost.reason : '').toMatch(/no longer has upload/);
      expect(await store.head('sv/gone.mp4')).toBeNull();
    });

    it('discards incomplete uploads older than a horizon', async (ctx) => {
      const under = await open_();
      if (!under.listsIncompleteUploads) ctx.skip();
      const { store } = under;
      const upload = await store.createMultipart('i/abandoned.bin');
      await upload.uploadPart(1, randomBytes(1000));
      expect(await store.abortIncompleteUploads(Date.now() - HOUR_MS)).toBe(0);
      expect(await store.abortIncompleteUploads(Date.now() + 5_000)).toBe(1);
      expect(await store.abortIncompleteUploads(Date.now() + 5_000)).toBe(0);
      expect(await store.head('i/abandoned.bin')).toBeNull();
      await upload.abort(); // only releases this process's handle now
    });
  });
}
