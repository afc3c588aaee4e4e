/**
 * A worker pod dies mid-recording (SIGKILL of its whole process tree): another worker, with its own disk,
 * salvages what the first had uploaded (from the checkpoint in the job), announces it as segment 1, partial,
 * and records the meeting again as segment 2. Real Redis (BullMQ), s3rver, two real worker processes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import type { CliProcess } from '../helpers/cli.ts';
import { usePodStack } from '../helpers/pod-stack.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';

const stack = usePodStack('scriba-salvage');
const { startWorker, eventsOf } = stack;
const enqueue = (sessionId: string, seconds: number) => stack.enqueue(sessionId, seconds, { participants: 2 });

/** Downloads an object through its link and probes it. */
async function probeLink(link: string): Promise<{ durationSec: number; video: boolean }> {
  const res = await fetch(link);
  expect(res.status).toBe(200);
  const file = join(mkdtempSync(join(tmpdir(), 'scriba-salvaged-')), 'segment.mp4');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const media = await probeMedia(file);
  return { durationSec: media.durationSec, video: media.video !== null };
}

describe('a worker killed mid-recording', () => {
  it('another worker salvages segment 1 (store down for a while), records segment 2, and each is announced once', {
    timeout: 240_000,
  }, async () => {
    const id = 'salvage-1';
    await enqueue(id, 20);
    const a = startWorker('a');
    let b: CliProcess | null = null;
    try {
      expect(await waitUntil(() => a.stderr().includes('session running'), 60_000), a.stderr()).toBe(true);
      const runningAt = Date.now();
      await new Promise((r) => setTimeout(r, 14_000));
      const capturedSec = (Date.now() - runningAt) / 1000;
      expect(await killTree(a.child.pid!)).toBe(true);
      // The store is down when the successor starts: salvage retries until it is back.
      await stack.s3.stop();
      b = startWorker('b');
      expect(await waitUntil(() => b!.stderr().includes('salvage: store unavailable'), 60_000), b.stderr()).toBe(true);
      await stack.s3.start();
      expect(await waitUntil(async () => (await stack.queue.get(id))?.status === 'completed', 120_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED').length === 2, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // no late duplicates
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      const first = uploaded.filter((e) => e.data['segment'] === 1);
      const second = uploaded.filter((e) => e.data['segment'] === 2);
      expect(first).toHaveLength(1);
      expect(second).toHaveLength(1);
      expect(first[0]!.data).toMatchObject({ partial: true, reason: 'worker_lost', recordingSessionId: id });
      expect(second[0]!.data).toMatchObject({ partial: false });
      const one = await probeLink(first[0]!.data['preAuthenticatedLink'] as string);
      expect(one.video).toBe(true);
      expect(one.durationSec).toBeGreaterThanOrEqual(capturedSec - 10);
      const two = await probeLink(second[0]!.data['preAuthenticatedLink'] as string);
      expect(two.durationSec).toBeGreaterThan(15);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const record = await stack.queue.get(id);
      expect(record?.result).toMatchObject({
        segment: 2,
        segments: [{ segment: 1, status: 'uploaded', partial: true, reason: 'worker_lost' }],
      });
    } finally {
      if (a.child.exitCode === null) await killTree(a.child.pid!);
      if (b && b.child.exitCode === null) await killTree(b.child.pid!);
      if (!stack.s3.isRunning()) await stack.s3.start();
    }
  });

  it('a checkpoint whose upload the store no longer knows: segment 1 reported lost, segment 2 recorded', { timeout: 180_000 }, async () => {
    const id = 'salvage-gone';
    await enqueue(id, 8);
    // Play the worker that died: claim the job, checkpoint an upload the store never had, then vanish.
    const claimed = await stack.queue.claim({ workerId: 'dead-pod', signal: AbortSignal.timeout(10_000) });
    expect(claimed?.id).toBe(id);
    const bogus = {
      version: 1,
      segment: 1,
      earlier: [],
      captureStartedAtMs: Date.now() - 30_000,
      upload: {
        version: 1,
        key: `${id}/gone.mp4`,
        contentType: 'video/mp4',
        uploadId: 'no-such-upload',
        parts: [{ partNumber: 1, size: 5 * 1024 * 1024, etag: '"0123456789abcdef0123456789abcdef"', sha256: 'a'.repeat(64) }],
        partBytes: 5 * 1024 * 1024,
        tail: [],
        bytes: 5 * 1024 * 1024,
        wholeBytes: 5 * 1024 * 1024,
        startedAtMs: Date.now() - 30_000,
        updatedAtMs: Date.now() - 1000,
      },
    };
    expect(await stack.queue.saveCheckpoint(id, claimed!.token, bogus)).toBe(true);
    const b = startWorker('c');
    try {
      expect(await waitUntil(async () => (await stack.queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).some((e) => e.eventType === 'RECORDING_UPLOADED'), 30_000)).toBe(true);
      const failed = eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({ reason: 'segment_lost', segment: 1, shouldRetry: false });
      expect(failed[0]!.data['message']).toMatch(/could not be salvaged/);
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]!.data).toMatchObject({ segment: 2, partial: false });
    } finally {
      if (b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });

  it('a job killed before anything went up: nothing to salvage, no error, recorded again', { timeout: 180_000 }, async () => {
    const id = 'salvage-nothing';
    await enqueue(id, 6);
    const claimed = await stack.queue.claim({ workerId: 'dead-pod', signal: AbortSignal.timeout(10_000) });
    expect(claimed?.id).toBe(id);
    const b = startWorker('d');
    try {
      expect(await waitUntil(async () => (await stack.queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      expect(await waitUntil(() => eventsOf(id).some((e) => e.eventType === 'RECORDING_UPLOADED'), 30_000)).toBe(true);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const uploaded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]!.data['segment']).toBeUndefined();
    } finally {
      if (b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });
});
