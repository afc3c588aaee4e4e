/**
 * The growing-file upload's checkpoints and tail objects, and salvage from them, against the in-memory store
 * (injectable outages) with a fake clock that the polls advance.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mp4FragmentBoundary } from '../../../src/storage/content-boundary.ts';
import { startGrowingFileUpload, type GrowingFileUploadOptions } from '../../../src/storage/growing-file-upload.ts';
import { StorageError } from '../../../src/storage/object-store.ts';
import { realSleep, type Sleep } from '../../../src/storage/retry.ts';
import { salvageUpload } from '../../../src/storage/salvage-upload.ts';
import { parseUploadCheckpoint, type UploadCheckpoint } from '../../../src/storage/upload-checkpoint.ts';
import { lastWholeFragmentEnd } from '../../../src/ffmpeg/mp4-fragments.ts';
import { until } from '../../helpers/until.ts';
import { MemoryStore } from './memory-store.ts';

const POLL_MS = 100;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const MP4 = readFileSync(new URL('../../fixtures/ffmpeg/fragmented-3s-160x90.mp4', import.meta.url));

/** Every sleep (polls and back-offs) advances the fake clock by its length and yields for a moment. */
function fakeClock() {
  let nowMs = 1_000_000;
  const sleep: Sleep = async (ms, signal) => {
    nowMs += ms;
    await realSleep(1, signal);
  };
  return { sleep, now: () => nowMs };
}

describe('growing-file upload checkpoints', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function file(): string {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-checkpoint-'));
    dirs.push(dir);
    return join(dir, 'rec.mp4');
  }

  function start(store: MemoryStore, path: string, saved: UploadCheckpoint[], extra: Partial<GrowingFileUploadOptions> = {}) {
    const clock = fakeClock();
    return startGrowingFileUpload({
      store,
      key: 's/rec.mp4',
      path,
      partSize: 10,
      pollMs: POLL_MS,
      sleep: clock.sleep,
      now: clock.now,
      random: () => 1,
      retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
      checkpoint: { tailIntervalMs: 300, onCheckpoint: (cp) => void saved.push(json(cp)) },
      ...extra,
    });
  }

  it('checkpoints each part and, every interval, the tail; deletes tail objects no checkpoint names', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    const saved: UploadCheckpoint[] = [];
    writeFileSync(path, Buffer.alloc(7, 1));
    const upload = start(store, path, saved);
    await until(() => saved.length === 1);
    // No whole part yet: the first checkpoint is the tail alone, and there is no multipart upload.
    expect(saved[0]).toMatchObject({ key: 's/rec.mp4', uploadId: null, parts: [], partBytes: 0, bytes: 7, wholeBytes: 7 });
    expect(saved[0]?.tail).toEqual([{ key: 's/rec.mp4.tail-000001', start: 0, size: 7, sha256: sha256(Buffer.alloc(7, 1)) }]);
    expect(store.calls).toEqual(['put s/rec.mp4.tail-000001']);

    appendFileSync(path, Buffer.alloc(5, 2)); // 12 bytes: part 1 is [0, 10), the tail object still covers [0, 7)
    await until(() => saved.length === 2);
    expect(saved[1]).toMatchObject({ partBytes: 10, bytes: 10, tail: [] });
    expect(saved[1]?.parts).toEqual([{ partNumber: 1, size: 10, etag: '"etag-1-10"', sha256: sha256(readFileSync(path).subarray(0, 10)) }]);
    await until(() => store.calls.includes('delete s/rec.mp4.tail-000001'));
    await until(() => saved.length === 3);
    expect(saved[2]?.tail).toEqual([{ key: 's/rec.mp4.tail-000002', start: 10, size: 2, sha256: sha256(Buffer.alloc(2, 2)) }]);
    expect(saved[2]).toMatchObject({ partBytes: 10, bytes: 12 });
    expect(() => parseUploadCheckpoint(saved[2])).not.toThrow();

    const result = await upload.finish();
    expect(result).toMatchObject({ size: 12, parts: 2 });
    expect([...store.objects.keys()]).toEqual(['s/rec.mp4']); // every tail object is gone
    expect(store.calls.at(-1)).toBe('delete s/rec.mp4.tail-000002');
  });

  it('keeps tail objects while the checkpoint cannot be saved', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    writeFileSync(path, Buffer.alloc(7, 1));
    let fail = false;
    const saved: UploadCheckpoint[] = [];
    const upload = start(store, path, saved, {
      checkpoint: {
        tailIntervalMs: 300,
        onCheckpoint: (cp) => {
          if (fail) throw new Error('lease lost');
          saved.push(json(cp));
        },
      },
    });
    await until(() => saved.length === 1);
    fail = true;
    appendFileSync(path, Buffer.alloc(5, 2));
    await until(() => upload.checkpoint()?.partBytes === 10);
    await realSleep(30, new AbortController().signal);
    expect(store.calls).not.toContain('delete s/rec.mp4.tail-000001'); // the saved checkpoint still names it
    fail = false;
    await until(() => saved.length === 2);
    await until(() => store.calls.includes('delete s/rec.mp4.tail-000001'));
    await upload.abort();
    expect(store.objects.size).toBe(0); // abort discards tail objects too
  });

  it('detach() leaves everything for salvage, which rebuilds the file; a bad tail object is cut off', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    writeFileSync(path, Buffer.alloc(7, 1));
    const saved: UploadCheckpoint[] = [];
    const upload = start(store, path, saved);
    await until(() => saved.length === 1);
    appendFileSync(path, Buffer.alloc(8, 2)); // part [0,10), tail [10, 15)
    await until(() => saved.at(-1)?.bytes === 15);
    appendFileSync(path, Buffer.alloc(3, 3));
    await until(() => saved.at(-1)?.bytes === 18);
    const cp = await upload.detach();
    await expect(upload.finish()).rejects.toMatchObject({ reason: 'aborted' });
    expect(cp?.tail.map((c) => [c.start, c.size])).toEqual([
      [10, 5],
      [15, 3],
    ]);
    expect(store.aborted).toEqual([]);

    const good = await salvageUpload({ store, checkpoint: parseUploadCheckpoint(json(cp)) });
    expect(good).toMatchObject({ status: 'salvaged', size: 18, parts: 2, tailBytes: 8, tailProblem: null, endsWhole: true });
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(readFileSync(path))).toBe(true);
    expect([...store.objects.keys()]).toEqual(['s/rec.mp4']);
  });

  it('salvage uses the tail up to the first bad object, and retries while the store is down', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    const saved: UploadCheckpoint[] = [];
    writeFileSync(path, Buffer.alloc(12, 1));
    const upload = start(store, path, saved);
    await until(() => saved.at(-1)?.bytes === 12);
    appendFileSync(path, Buffer.alloc(3, 2));
    await until(() => saved.at(-1)?.bytes === 15);
    const cp = parseUploadCheckpoint(json(await upload.detach()));
    expect(cp.tail.map((c) => [c.start, c.size])).toEqual([
      [10, 2],
      [12, 3],
    ]);
    store.objects.set('s/rec.mp4.tail-000002', { bytes: Buffer.from('xyz'), lastModifiedMs: Date.now() }); // damaged

    store.down = true;
    const clock = fakeClock();
    const delays: number[] = [];
    const salvaging = salvageUpload({
      store,
      checkpoint: cp,
      retry: { initialDelayMs: 100, maxDelayMs: 400 },
      random: () => 1,
      now: clock.now,
      sleep: async (ms, signal) => {
        delays.push(ms);
        if (delays.length === 4) store.down = false;
        await clock.sleep(ms, signal);
      },
    });
    const result = await salvaging;
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(result).toMatchObject({ status: 'salvaged', size: 12, tailBytes: 2, failures: 4 });
    expect(result.status === 'salvaged' ? result.tailProblem : '').toMatch(/tail-000002 differs/);
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(readFileSync(path).subarray(0, 12))).toBe(true);
  });

  it('an upload the store lost is reported lost, not thrown; the recording side is unaffected', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    const saved: UploadCheckpoint[] = [];
    writeFileSync(path, Buffer.alloc(25, 1));
    const upload = start(store, path, saved);
    await until(() => saved.at(-1)?.partBytes === 20);
    const cp = parseUploadCheckpoint(json(await upload.detach()));
    store.uploads.clear(); // a lifecycle rule discarded it
    const result = await salvageUpload({ store, checkpoint: cp });
    expect(result).toMatchObject({ status: 'lost', key: 's/rec.mp4' });
    expect(result.status === 'lost' ? result.reason : '').toMatch(/no longer has upload upload-1 \(upload_lost\)/);
    expect(store.objects.has('s/rec.mp4')).toBe(false);
    expect([...store.objects.keys()].filter((k) => k.includes('.tail-'))).toEqual([]);
  });

  it('fails salvage on errors retrying cannot fix', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const cp = parseUploadCheckpoint({
      version: 1,
      key: 's/x.mp4',
      uploadId: null,
      parts: [],
      tail: [{ key: 's/x.mp4.tail-000001', start: 0, size: 3, sha256: sha256(Buffer.from('abc')) }],
    });
    await store.put('s/x.mp4.tail-000001', { bytes: Buffer.from('abc') });
    store.failNext.push(new StorageError('rejected', 'AccessDenied'));
    await expect(salvageUpload({ store, checkpoint: cp })).rejects.toMatchObject({ reason: 'rejected' });
    // Tail only (no part ever went up): stored with one put.
    expect(await salvageUpload({ store, checkpoint: cp })).toMatchObject({ status: 'salvaged', size: 3, parts: 0, tailBytes: 3 });
    expect(store.objects.get('s/x.mp4')?.bytes.toString()).toBe('abc');
  });

  it('a fragmented MP4: parts and tail end only after whole fragments, so any checkpoint rebuilds a playable file', async () => {
    const store = new MemoryStore({ minPartSize: 4 });
    const path = file();
    const saved: UploadCheckpoint[] = [];
    writeFileSync(path, Buffer.alloc(0));
    const upload = start(store, path, saved, {
      partSize: 6_000,
      checkpoint: { tailIntervalMs: 200, boundary: mp4FragmentBoundary(), onCheckpoint: (cp) => void saved.push(json(cp)) },
    });
    // ffmpeg writes the file in arbitrary pieces; every checkpoint must end where a fragment does.
    for (let pos = 0; pos < MP4.length; pos += 1_500) {
      appendFileSync(path, MP4.subarray(pos, Math.min(pos + 1_500, MP4.length)));
      await realSleep(5, new AbortController().signal);
    }
    await until(() => saved.at(-1)?.bytes === MP4.length);
    const cuts = new Set([0, 1257, 9169, 16997, 25277, 25529, 25734]);
    for (const cp of saved) {
      expect(cuts.has(cp.partBytes), `parts end at ${cp.partBytes}`).toBe(true);
      expect(cuts.has(cp.bytes), `tail ends at ${cp.bytes}`).toBe(true);
      expect(lastWholeFragmentEnd(MP4.subarray(0, cp.bytes))).toBe(cp.bytes);
    }
    expect(saved.at(-1)?.parts.length).toBeGreaterThanOrEqual(2);
    const result = await salvageUpload({ store, checkpoint: parseUploadCheckpoint(json(await upload.detach())) });
    expect(result).toMatchObject({ status: 'salvaged', size: MP4.length, endsWhole: true });
    expect(store.objects.get('s/rec.mp4')?.bytes.equals(MP4)).toBe(true);
  });
});
