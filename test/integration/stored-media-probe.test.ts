/**
 * Salvage's playability check on long recordings: only the head and the last whole fragment are read from the
 * store (ranged reads, bounded whatever the length), and the duration matches a probe of the whole file.
 * Real ffmpeg writes the fragmented MP4 the way the recorder does; the store is in memory and counts reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { lastWholeFragmentEnd } from '../../src/ffmpeg/mp4-fragments.ts';
import { storedMp4Seconds, type ProbeWindows } from '../../src/jobs/stored-media-probe.ts';
import type { ReadOptions } from '../../src/storage/object-store.ts';
import { MemoryStore } from '../unit/storage/memory-store.ts';

const KiB = 1024;
/** Small windows so that a 90 s test file is "long": the head-and-tail path is what runs. */
const WINDOWS: ProbeWindows = { wholeMaxBytes: 256 * KiB, headBytes: 32 * KiB, tailBytes: 256 * KiB, maxWindowBytes: 1024 * KiB };

class CountingStore extends MemoryStore {
  bytesRead = 0;
  largestRead = 0;
  override async read(key: string, options: ReadOptions = {}): Promise<Uint8Array | null> {
    const bytes = await super.read(key, options);
    this.bytesRead += bytes?.length ?? 0;
    this.largestRead = Math.max(this.largestRead, bytes?.length ?? 0);
    return bytes;
  }
}

let file: Buffer;
let fullSec: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scriba-probe-'));
  const path = join(dir, 'rec.mp4');
  const r = spawnSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440'],
    ...['-t', '90', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-b:v', '300k', '-c:a', 'aac'],
    ...['-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1000000', path],
  ]);
  expect(r.status, r.stderr.toString()).toBe(0);
  file = readFileSync(path);
  fullSec = (await probeMedia(path)).durationSec;
  expect(fullSec).toBeGreaterThan(89);
});

describe('probing a stored recording without reading it whole', () => {
  it('reads the head and the last fragment only, and finds the whole duration', async () => {
    const store = new CountingStore();
    await store.put('s/rec.mp4', { bytes: file });
    const sec = await storedMp4Seconds(store, 's/rec.mp4', file.length, AbortSignal.timeout(30_000), WINDOWS);
    expect(sec).not.toBeNull();
    expect(Math.abs(sec! - fullSec)).toBeLessThan(1.1);
    expect(file.length).toBeGreaterThan(2 * 1024 * KiB);
    // The head (up to the end of the first fragment) and the tail window, whatever the length.
    expect(store.bytesRead).toBeLessThanOrEqual(WINDOWS.maxWindowBytes + WINDOWS.tailBytes);
    expect(store.bytesRead).toBeLessThan(file.length / 4);
    expect(store.largestRead).toBeLessThanOrEqual(WINDOWS.tailBytes);
  });

  it('an object cut inside a fragment (salvage without a whole tail): the duration up to the last whole one', async () => {
    const cut = Math.floor(file.length * 0.6);
    const bytes = file.subarray(0, cut);
    const wholeEnd = lastWholeFragmentEnd(bytes);
    const store = new CountingStore();
    await store.put('s/cut.mp4', { bytes });
    const dir = mkdtempSync(join(tmpdir(), 'scriba-probe-'));
    writeFileSync(join(dir, 'whole.mp4'), bytes.subarray(0, wholeEnd));
    const expected = (await probeMedia(join(dir, 'whole.mp4'))).durationSec;
    const sec = await storedMp4Seconds(store, 's/cut.mp4', cut, AbortSignal.timeout(30_000), WINDOWS);
    expect(sec).not.toBeNull();
    expect(Math.abs(sec! - expected)).toBeLessThan(1.1);
    expect(store.largestRead).toBeLessThanOrEqual(WINDOWS.tailBytes);
  });

  it('something that is not a fragmented MP4 does not play', async () => {
    const store = new CountingStore();
    const junk = Buffer.alloc(600 * KiB, 7);
    await store.put('s/junk.mp4', { bytes: junk });
    expect(await storedMp4Seconds(store, 's/junk.mp4', junk.length, AbortSignal.timeout(30_000), WINDOWS)).toBeNull();
    expect(store.bytesRead).toBeLessThanOrEqual(WINDOWS.headBytes);
    // A short object is read whole, as before.
    await store.put('s/short.mp4', { bytes: junk.subarray(0, 100 * KiB) });
    expect(await storedMp4Seconds(store, 's/short.mp4', 100 * KiB, AbortSignal.timeout(30_000), WINDOWS)).toBeNull();
  });
});
