import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGrowingFileUpload, type GrowingFileUploadOptions } from '../../../src/storage/growing-file-upload.ts';
import { StorageError } from '../../../src/storage/object-store.ts';
import { realSleep, type Sleep } from '../../../src/storage/retry.ts';
import { until } from '../../helpers/until.ts';
import { MemoryStore } from './memory-store.ts';

const POLL_MS = 5;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

/** A fake clock advanced by the back-off sleeps (polls really wait a few ms). */
function fakeTime() {
  const delays: number[] = [];
  let nowMs = 1_000_000;
  const onSleep: Array<(ms: number) => void> = [];
  const sleep: Sleep = async (ms, signal) => {
    if (ms === POLL_MS) return realSleep(ms, signal);
    delays.push(ms);
    nowMs += ms;
    for (const f of onSleep) f(ms);
    await realSleep(0, signal);
  };
  return { delays, sleep, now: () => nowMs, onSleep };
}

describe('growing-file upload', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function file(name = 'rec.mp4'): string {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-growing-'));
    dirs.push(dir);
    return join(dir, name);
  }

  function start(store: MemoryStore, path: string, extra: Partial<GrowingFileUploadOptions> = {}) {
    const time = fakeTime();
    const upload = startGrowingFileUpload({
      store,
      key: 's/rec.mp4',
      path,
      partSize: 10,
      pollMs: POLL_MS,
      sleep: time.sleep,
      now: time.now,
      random: () => 1,
      retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
      ...extra,
    });
    return { upload, time };
  }

  it('sends whole parts as the file grows and only the tail at finish', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    const { upload } = start(store, path);
    await realSleep(20, new AbortController().signal);
    expect(store.calls).toEqual([]); // no file yet: nothing sent, nothing started
    writeFileSync(path, bytes(25, 1));
    await until(() => upload.progress().partsUploaded === 2);
    expect(store.calls).toEqual(['create s/rec.mp4', 'part 1 10', 'part 2 10']);
    appendFileSync(path, bytes(7, 2));
    const result = await upload.finish();
    expect(store.calls.slice(3)).toEqual(['part 3 10', 'part 4 2', 'complete s/rec.mp4', 'head s/rec.mp4']);
    const local = readFileSync(path);
    expect(result).toEqual({ key: 's/rec.mp4', size: 32, sha256: sha256(local), parts: 4, resentParts: 0, failures: 0 });
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(local)).toBe(true);
    expect(await upload.finish()).toBe(result); // idempotent
  });

  it('a file of at most one part is one put', async () => {
    const store = new MemoryStore();
    const path = file('metadata.json');
    writeFileSync(path, '{"a":1}');
    const { upload } = start(store, path, { key: 's/metadata.json' });
    const result = await upload.finish();
    expect(store.calls).toEqual(['put s/metadata.json', 'head s/metadata.json']);
    expect(result).toMatchObject({ size: 7, parts: 0 });
  });

  it('keeps retrying with back-off while the store is down, then completes', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(15, 3));
    store.down = true;
    const { upload, time } = start(store, path);
    time.onSleep.push(() => {
      if (time.delays.length === 6) store.down = false;
    });
    await until(() => upload.progress().partsUploaded === 1);
    expect(time.delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const result = await upload.finish();
    expect(result).toMatchObject({ size: 15, parts: 2, failures: 6 });
    expect(upload.progress()).toMatchObject({ storeDown: false, failures: 6 });
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(readFileSync(path))).toBe(true);
  });

  it('gives up after giveUpAfterMs of failures; the local file is untouched', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(30, 4));
    store.down = true;
    const { upload } = start(store, path, { retry: { initialDelayMs: 100, maxDelayMs: 1_000, giveUpAfterMs: 5_000 } });
    const err = await upload.finish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ reason: 'unavailable', retryable: true });
    expect(readFileSync(path).equals(bytes(30, 4))).toBe(true);
  });

  it('fails at once on an error retrying cannot fix, and discards the partial upload', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(25, 5));
    const { upload, time } = start(store, path);
    await until(() => upload.progress().partsUploaded === 2);
    store.failNext.push(new StorageError('rejected', 'AccessDenied'));
    appendFileSync(path, bytes(10, 6));
    await expect(upload.finish()).rejects.toMatchObject({ reason: 'rejected' });
    expect(time.delays).toEqual([]);
    expect(store.aborted).toEqual(['s/rec.mp4']);
    expect(store.objects.size).toBe(0);
  });

  it('resends a part that changed in place after it was sent', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(25, 7));
    const { upload } = start(store, path);
    await until(() => upload.progress().partsUploaded === 2);
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from('HEAD'), 0, 4, 0); // e.g. a header patched at the end of writing
    await fh.close();
    const result = await upload.finish();
    expect(result.resentParts).toBe(1);
    expect(store.calls.filter((c) => c.startsWith('part 1 '))).toHaveLength(2);
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(readFileSync(path))).toBe(true);
    expect(result.sha256).toBe(sha256(readFileSync(path)));
  });

  it("with recheck 'first-part' reads only part 1 again, and still catches a patched header", async () => {
    for (const patch of [false, true]) {
      const store = new MemoryStore();
      const path = file();
      writeFileSync(path, bytes(25, 12));
      const { upload } = start(store, path, { recheck: 'first-part' });
      await until(() => upload.progress().partsUploaded === 2);
      if (patch) {
        const fh = await open(path, 'r+');
        await fh.write(Buffer.from('moov'), 0, 4, 4);
        await fh.close();
      }
      const result = await upload.finish();
      expect(result.resentParts).toBe(patch ? 1 : 0);
      expect(result.sha256).toBe(sha256(readFileSync(path)));
      expect(store.objects.get('s/rec.mp4')?.bytes.equals(readFileSync(path))).toBe(true);
    }
  });

  it('refuses a file that shrank or vanished', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(25, 8));
    const { upload } = start(store, path);
    await until(() => upload.progress().partsUploaded === 2);
    truncateSync(path, 12);
    await expect(upload.finish()).rejects.toMatchObject({ reason: 'local_changed' });

    const missing = start(new MemoryStore(), file('never.mp4')).upload;
    await expect(missing.finish()).rejects.toMatchObject({ reason: 'local_changed' });
  });

  it('treats a complete whose answer was lost as done when the object is there', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(22, 9));
    const { upload, time } = start(store, path);
    store.loseCompleteAnswer = true;
    const result = await upload.finish();
    expect(result).toMatchObject({ size: 22, parts: 3 });
    expect(store.calls.filter((c) => c.startsWith('complete'))).toHaveLength(1);
    expect(time.delays).toEqual([]);
  });

  it('retries a complete that failed without reaching the store', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(22, 9));
    const { upload, time } = start(store, path);
    let failed = false;
    store.failWhen = (call) => {
      if (!call.startsWith('complete') || failed) return undefined;
      failed = true;
      return new StorageError('unavailable', 'ECONNRESET', { retryable: true });
    };
    const result = await upload.finish();
    expect(result).toMatchObject({ size: 22, parts: 3, failures: 1 });
    expect(store.calls.filter((c) => c.startsWith('complete'))).toHaveLength(2);
    expect(time.delays).toEqual([100]);
  });

  it('abort() stops the upload, discards it and leaves the file alone', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(25, 10));
    const { upload } = start(store, path);
    await until(() => upload.progress().partsUploaded === 2);
    await upload.abort();
    await expect(upload.finish()).rejects.toMatchObject({ reason: 'aborted' });
    expect(store.aborted).toEqual(['s/rec.mp4']);
    expect(store.objects.size).toBe(0);
    expect(readFileSync(path).equals(bytes(25, 10))).toBe(true);
  });

  it('an aborted signal passed to finish() aborts the upload', async () => {
    const store = new MemoryStore();
    const path = file();
    writeFileSync(path, bytes(25, 11));
    store.down = true;
    const { upload } = start(store, path);
    const controller = new AbortController();
    const finishing = upload.finish({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(finishing).rejects.toMatchObject({ reason: 'aborted' });
  });
});
