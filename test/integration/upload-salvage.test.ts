/**
 * Salvage after a worker's death, at the storage level: a child process (test/helpers/checkpointing-uploader.ts)
 * records with real ffmpeg and uploads to s3rver with checkpoints; the test SIGKILLs its whole process tree
 * mid-recording, then, as another worker would, completes the upload from the last checkpoint alone and
 * checks the object with ffprobe: playable, and missing at most ~10 s of what was captured.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/ffmpeg/probe.ts';
import { lastWholeFragmentEnd } from '../../src/ffmpeg/mp4-fragments.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createS3Store } from '../../src/storage/s3-store.ts';
import { salvageUpload } from '../../src/storage/salvage-upload.ts';
import { parseUploadCheckpoint, tailChunkPrefix } from '../../src/storage/upload-checkpoint.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';
import { download } from '../conformance/object-store.suite.ts';

const silent = createLogger({ level: 'silent' });

describe('salvaging an upload after its worker was killed (s3rver, real ffmpeg)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('SIGKILL 22 s into a recording: salvaged (the store down at first), it plays and lacks at most ~10 s', async () => {
    const s3: S3TestServer = await startS3Server();
    cleanups.push(() => s3.close());
    const dir = mkdtempSync(join(tmpdir(), 'scriba-salvage-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'Room_2024.mp4');
    const checkpointFile = join(dir, 'checkpoint.json');
    const key = 'sess1/Room_2024.mp4';
    const child = spawn(
      process.execPath,
      [
        'test/helpers/checkpointing-uploader.ts',
        JSON.stringify({
          endpoint: s3.endpoint,
          bucket: s3.bucket,
          prefix: 'rec',
          path,
          key,
          checkpointFile,
          tailIntervalMs: 5_000,
          bitrate: '4M',
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout.resume();
    cleanups.push(async () => void (await killTree(child.pid ?? 0)));

    const startedAt = Date.now();
    // Past the first 5 MiB part (4 Mb/s: ~11 s), then a few tail checkpoints.
    expect(await waitUntil(() => Date.now() - startedAt > 22_000, 30_000, 200)).toBe(true);
    expect(await killTree(child.pid ?? 0)).toBe(true); // the pod dies: node and ffmpeg at once
    const captured = readFileSync(path);
    expect(existsSync(checkpointFile)).toBe(true);

    // Another worker: only the queue's checkpoint and the store.
    const checkpoint = parseUploadCheckpoint(JSON.parse(readFileSync(checkpointFile, 'utf8')));
    expect(checkpoint.parts.length).toBeGreaterThanOrEqual(1);
    expect(checkpoint.tail.length).toBeGreaterThanOrEqual(1);
    const store = createS3Store({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix: 'rec',
      credentials: S3RVER_CREDENTIALS,
    });
    // The store is down when salvage begins: it retries until the store is back.
    await s3.stop();
    const salvaging = salvageUpload({ store, checkpoint, retry: { initialDelayMs: 100, maxDelayMs: 500 }, logger: silent });
    await new Promise((r) => setTimeout(r, 2_000));
    await s3.start();
    const result = await salvaging;
    expect(result).toMatchObject({ status: 'salvaged', key, endsWhole: true, tailProblem: null });
    expect(result.status === 'salvaged' ? result.failures : 0).toBeGreaterThan(0);
    expect(await store.list(tailChunkPrefix(key))).toEqual([]);

    const salvaged = (await download(await store.link(key, 60))).bytes;
    expect(salvaged.equals(captured.subarray(0, salvaged.length))).toBe(true); // a prefix of what ffmpeg wrote
    expect(lastWholeFragmentEnd(salvaged)).toBe(salvaged.length);
    const salvagedPath = join(dir, 'salvaged.mp4');
    const capturedPath = join(dir, 'captured-whole.mp4');
    writeFileSync(salvagedPath, salvaged);
    writeFileSync(capturedPath, captured.subarray(0, lastWholeFragmentEnd(captured)));
    const [got, had] = await Promise.all([probeMedia(salvagedPath), probeMedia(capturedPath)]);
    const lostSec = had.durationSec - got.durationSec;
    console.log(
      `salvage: captured ${had.durationSec.toFixed(2)} s, salvaged ${got.durationSec.toFixed(2)} s, lost ${lostSec.toFixed(2)} s; ${JSON.stringify(result)}`,
    );
    expect(got.video).not.toBeNull();
    expect(got.audio).not.toBeNull();
    expect(got.durationSec).toBeGreaterThan(10);
    expect(lostSec).toBeLessThanOrEqual(10);
  }, 90_000);
});
