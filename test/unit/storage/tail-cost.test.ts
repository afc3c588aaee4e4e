/**
 * What the tail costs (docs/storage.md, "Salvage"): ten minutes of a 720p-like recording at 2.4 and 6 MB/min
 * through the growing-file upload with the default settings (8 MiB parts, tail every 5 s, 1 s polls) on a
 * fake clock, counting the store requests and bytes with and without checkpoints, scaled to an hour.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGrowingFileUpload } from '../../../src/storage/growing-file-upload.ts';
import type { PutSource, StoredObject } from '../../../src/storage/object-store.ts';
import { realSleep } from '../../../src/storage/retry.ts';
import type { UploadCheckpoint } from '../../../src/storage/upload-checkpoint.ts';
import { MemoryStore } from './memory-store.ts';

const MINUTES = 10;
const MB = 1_000_000;

class CountingStore extends MemoryStore {
  putBytes = 0;
  override async put(key: string, source: PutSource): Promise<StoredObject> {
    const stored = await super.put(key, source);
    this.putBytes += stored.size;
    return stored;
  }
}

interface Cost {
  requests: number;
  bytes: number;
  tailPuts: number;
  deletes: number;
  checkpoints: number;
  largestCheckpointBytes: number;
  maxUncheckpointedSec: number;
}

const dir = mkdtempSync(join(tmpdir(), 'scriba-tail-cost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function simulate(bytesPerMin: number, withCheckpoints: boolean): Promise<Cost> {
  const store = new CountingStore({ minPartSize: 5 * 1024 * 1024 });
  const path = join(dir, `rec-${bytesPerMin}-${withCheckpoints}.mp4`);
  writeFileSync(path, '');
  let nowMs = 0;
  let written = 0;
  const chunk = Buffer.alloc(Math.round(bytesPerMin / 60), 7);
  let checkpoints = 0;
  let largest = 0;
  let lastSaved: UploadCheckpoint | null = null;
  let maxGapSec = 0;
  const upload = startGrowingFileUpload({
    store,
    key: 's/rec.mp4',
    path,
    pollMs: 1_000,
    now: () => nowMs,
    sleep: async (ms, signal) => {
      // One second of recording per poll, up to the end.
      for (let t = 0; t < ms && nowMs < MINUTES * 60_000; t += 1_000) {
        appendFileSync(path, chunk);
        written += chunk.length;
        nowMs += 1_000;
        // Seconds of media a crash now would lose: what the file has beyond the last saved checkpoint.
        const gap = (written - (lastSaved?.bytes ?? 0)) / chunk.length;
        maxGapSec = Math.max(maxGapSec, gap);
      }
      await realSleep(0, signal);
    },
    ...(withCheckpoints
      ? {
          checkpoint: {
            onCheckpoint: (cp: UploadCheckpoint) => {
              checkpoints += 1;
              largest = Math.max(largest, JSON.stringify(cp).length);
              lastSaved = cp;
            },
          },
        }
      : {}),
  });
  while (nowMs < MINUTES * 60_000) await realSleep(5, new AbortController().signal);
  await realSleep(20, new AbortController().signal);
  await upload.detach();
  const partBytes = store.calls.filter((c) => c.startsWith('part ')).reduce((sum, c) => sum + Number(c.split(' ')[2]), 0);
  return {
    requests: store.calls.length,
    bytes: partBytes + store.putBytes,
    tailPuts: store.calls.filter((c) => c.startsWith('put ') && c.includes('.tail-')).length,
    deletes: store.calls.filter((c) => c.startsWith('delete ')).length,
    checkpoints,
    largestCheckpointBytes: largest,
    maxUncheckpointedSec: maxGapSec,
  };
}

describe('the cost of checkpointing the tail', () => {
  for (const mbPerMin of [2.4, 6]) {
    it(`${mbPerMin} MB/min: one tail object every 5 s, each byte sent about twice, at most ~6 s uncovered`, async () => {
      const base = await simulate(mbPerMin * MB, false);
      const tail = await simulate(mbPerMin * MB, true);
      const perHour = 60 / MINUTES;
      const extra = {
        requestsPerHour: Math.round((tail.requests - base.requests) * perHour),
        tailPutsPerHour: Math.round(tail.tailPuts * perHour),
        deletesPerHour: Math.round(tail.deletes * perHour),
        extraMBPerHour: Math.round(((tail.bytes - base.bytes) * perHour) / MB),
        recordedMBPerHour: mbPerMin * 60,
        checkpointsPerHour: Math.round(tail.checkpoints * perHour),
        largestCheckpointBytes: tail.largestCheckpointBytes,
        maxUncheckpointedSec: tail.maxUncheckpointedSec,
      };
      console.log(`tail cost at ${mbPerMin} MB/min: ${JSON.stringify(extra)}`);
      // 720 tail objects an hour (one per 5 s) and about as many deletes; every byte goes once more.
      expect(extra.tailPutsPerHour).toBeGreaterThanOrEqual(690);
      expect(extra.tailPutsPerHour).toBeLessThanOrEqual(730);
      expect(extra.extraMBPerHour).toBeLessThanOrEqual(extra.recordedMBPerHour * 1.05);
      expect(extra.maxUncheckpointedSec).toBeLessThanOrEqual(6);
    }, 120_000);
  }
});
