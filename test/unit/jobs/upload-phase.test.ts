/** The upload phase on in-memory stores: verified upload, local copy removed, backup store, recovery facts. */
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJobRequest } from '../../../src/domain/job-request.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { completeUpload, finishedRecording, newRecordingUpload, uploadedData, type StorageDeps } from '../../../src/jobs/upload-phase.ts';
import { MemoryStore } from '../storage/memory-store.ts';

const logger = createLogger({ level: 'silent' });

async function sessionDir() {
  const root = await mkdtemp(join(tmpdir(), 'scriba-upload-phase-'));
  const dir = join(root, 's-1');
  await mkdir(dir);
  const file = join(dir, 'room_2026-11-23-10-00-00.mp4');
  await writeFile(file, Buffer.alloc(300_000, 7));
  await writeFile(
    join(dir, 'metadata.json'),
    JSON.stringify({
      participants: [{ id: 'p1', name: 'Pat' }],
      scriba: {
        status: 'finished',
        started_at: '2026-11-23T10:00:00Z',
        ended_at: '2026-11-23T10:01:00Z',
        duration_sec: 60,
        file: { name: 'room_2026-11-23-10-00-00.mp4' },
      },
    }),
  );
  return { root, dir, file };
}

const deps = (store: MemoryStore, backup?: MemoryStore): StorageDeps => ({
  store,
  partSizeBytes: 5 * 1024 * 1024,
  retryInitialMs: 10,
  retryMaxMs: 20,
  linkTtlSec: 86_400,
  retentionSec: 86_400,
  ...(backup ? { backup: { store: backup, afterMs: 200 } } : {}),
});

describe('upload phase', () => {
  it('finds a finished recording from metadata.json, uploads it, then removes the local directory', async () => {
    const { root, file } = await sessionDir();
    const facts = await finishedRecording(root, 's-1');
    expect(facts).toMatchObject({
      file,
      durationSec: 60,
      participants: [{ id: 'p1', name: 'Pat' }],
      startedAtMs: Date.parse('2026-11-23T10:00:00Z'),
    });
    const store = new MemoryStore();
    const up = await completeUpload(newRecordingUpload(deps(store), 's-1', logger, facts!.startedAtMs), facts!, AbortSignal.timeout(5_000));
    expect(up).toMatchObject({
      key: 's-1/room_2026-11-23-10-00-00.mp4',
      size: 300_000,
      store: 'primary',
      metadataKey: 's-1/metadata.json',
    });
    expect(await readdir(root)).toEqual([]);
    const job = {
      ...parseJobRequest(
        { meetingUrl: 'https://meet.example.com/room', file: true, metadata: { share: true } },
        { allowedMeetingHosts: ['*'], allowedStreamHosts: [], allowHttp: false, defaultMaxDurationSec: 60, maxDurationCapSec: 60 },
        () => 's-1',
      ),
      initiator: { id: 'u-9', name: null, email: null },
    };
    expect(uploadedData(job, facts!, up.link)).toEqual({
      participants: [{ name: 'Pat', avatar: '', id: 'p1' }],
      preAuthenticatedLink: up.link ?? '',
      share: true,
      initiatorId: 'u-9',
      durationSec: 60,
      startTimestamp: Date.parse('2026-11-23T10:00:00Z'),
      endTimestamp: Date.parse('2026-11-23T10:01:00Z'),
      recordingSessionId: 's-1',
    });
  });

  it('ignores a recording still marked as recording (the next attempt records again)', async () => {
    const { root, dir } = await sessionDir();
    await writeFile(join(dir, 'metadata.json'), JSON.stringify({ scriba: { status: 'recording', file: null } }));
    expect(await finishedRecording(root, 's-1')).toBeNull();
    expect(await finishedRecording(root, 'nothing-here')).toBeNull();
  });

  it('falls back to the backup store when the primary keeps failing; the local copy stays until then', async () => {
    const { root } = await sessionDir();
    const facts = (await finishedRecording(root, 's-1'))!;
    const primary = new MemoryStore();
    primary.down = true;
    const backup = new MemoryStore();
    const storage = deps(primary, backup);
    const up = await completeUpload(newRecordingUpload(storage, 's-1', logger, facts.startedAtMs), facts, AbortSignal.timeout(10_000), {
      upload: () => newRecordingUpload(storage, 's-1', logger, facts.startedAtMs, 'backup'),
      logger,
    });
    expect(up.store).toBe('backup');
    expect(await backup.head('s-1/room_2026-11-23-10-00-00.mp4')).toMatchObject({ size: 300_000 });
    expect(await readdir(root)).toEqual([]);
  });

  it('keeps the local copy when every store fails', async () => {
    const { root } = await sessionDir();
    const facts = (await finishedRecording(root, 's-1'))!;
    const primary = new MemoryStore();
    primary.down = true;
    // The retention horizon has passed: a couple of attempts, then give up (and retention deletes the copy).
    const upload = newRecordingUpload({ ...deps(primary), retentionSec: 0 }, 's-1', logger, Date.now() - 10_000_000);
    await expect(completeUpload(upload, facts, AbortSignal.timeout(10_000))).rejects.toThrow();
    expect(await readdir(root)).toEqual(['s-1']);
  });
});
