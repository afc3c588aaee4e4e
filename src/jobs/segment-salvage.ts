/**
 * A recovered job whose worker died mid-recording: finish the upload of what that worker had captured (its
 * checkpoint in the queue), check the object plays, store its metadata, announce it as a partial segment,
 * and say which segment the new recording is. The store being down is retried (salvageUpload); an upload
 * the store no longer knows is reported lost, and the session goes on either way.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRequest } from '../domain/job-request.ts';
import { probeMedia } from '../ffmpeg/index.ts';
import type { Logger } from '../log/logger.ts';
import { publicMeetingUrl } from '../session/metadata.ts';
import { parseUploadCheckpoint, salvageUpload, type UploadCheckpoint } from '../storage/index.ts';
import type { WebhookEventInput } from '../webhooks/webhook-event.ts';
import type { JobEventTracker } from './job-events.ts';
import { nextSegment, type JobCheckpoint, type SegmentNote } from './job-checkpoint.ts';
import { uploadedData, type StorageDeps } from './upload-phase.ts';

/** Why a salvaged segment ended early, in its events and metadata. */
export const WORKER_LOST = 'worker_lost';

export interface SalvageDeps {
  readonly storage: StorageDeps;
  readonly logger: Logger;
  readonly events: JobEventTracker;
  publish(events: readonly WebhookEventInput[]): Promise<void>;
  readonly signal: AbortSignal;
}

/** Seconds of media in the stored object, read back and probed; null when it does not play. */
async function playableSeconds(storage: StorageDeps, key: string, size: number, signal: AbortSignal): Promise<number | null> {
  const bytes = await storage.store.read(key, { maxBytes: size + 1, signal });
  if (bytes === null) return null;
  const dir = await mkdtemp(join(tmpdir(), 'scriba-salvage-'));
  try {
    const file = join(dir, 'segment.mp4');
    await writeFile(file, bytes, { mode: 0o600 });
    const media = await probeMedia(file, { signal });
    return media.video !== null || media.audio !== null ? media.durationSec : null;
  } catch {
    return null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The salvaged segment's metadata.json, beside it in the store (`<object key>.metadata.json`). */
function segmentMetadata(job: JobRequest, cp: JobCheckpoint, durationSec: number): Record<string, unknown> {
  return {
    ...job.metadata,
    meeting_url: publicMeetingUrl(job.target),
    participants: [],
    scriba: {
      session_id: job.sessionId,
      room: job.target.room,
      status: 'partial',
      segment: cp.segment,
      partial: true,
      reason: WORKER_LOST,
      started_at: cp.captureStartedAtMs === null ? null : new Date(cp.captureStartedAtMs).toISOString(),
      duration_sec: durationSec,
      segments: cp.earlier,
    },
  };
}

/**
 * Deals with the segment the checkpoint describes and returns the checkpoint to record the next one with.
 * Throws only when the store stays down past the retry horizon or the signal aborts (the job then stays
 * with whoever recovers it next, checkpoint intact).
 */
export async function salvageSegment(job: JobRequest, cp: JobCheckpoint, deps: SalvageDeps): Promise<JobCheckpoint> {
  const log = deps.logger.child({ segment: cp.segment });
  let upload: UploadCheckpoint;
  try {
    upload = parseUploadCheckpoint(cp.upload);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the upload checkpoint is unusable; nothing to salvage');
    return nextSegment(cp, null);
  }
  const { storage } = deps;
  const result = await salvageUpload({
    store: storage.store,
    checkpoint: upload,
    retry: { initialDelayMs: storage.retryInitialMs, maxDelayMs: storage.retryMaxMs, giveUpAfterMs: storage.retentionSec * 1000 },
    logger: log,
    signal: deps.signal,
  });
  if (result.status === 'nothing') {
    log.info('the lost worker had uploaded nothing yet; recording again as the same segment');
    return nextSegment(cp, null);
  }
  const lost = (reason: string): SegmentNote => ({ segment: cp.segment, status: 'lost', key: null, partial: true, reason });
  if (result.status === 'lost') {
    const note = lost(result.reason);
    await deps.publish(deps.events.onSegmentLost(cp.segment, `segment ${cp.segment} could not be salvaged: ${result.reason}`));
    return nextSegment(cp, note);
  }
  const durationSec = await playableSeconds(storage, result.key, result.size, deps.signal);
  if (durationSec === null) {
    await deps.publish(deps.events.onSegmentLost(cp.segment, `segment ${cp.segment} was salvaged but does not play`));
    return nextSegment(cp, lost('unplayable'));
  }
  const metadataKey = `${result.key}.metadata.json`;
  await storage.store.put(
    metadataKey,
    { bytes: Buffer.from(`${JSON.stringify(segmentMetadata(job, cp, durationSec), null, 2)}\n`) },
    { contentType: 'application/json', signal: deps.signal },
  );
  let link: string | null = null;
  try {
    link = await storage.store.link(result.key, storage.linkTtlSec);
  } catch (err) {
    log.warn({ err }, 'the store cannot make a link for the salvaged segment');
  }
  const startedAtMs = cp.captureStartedAtMs ?? upload.startedAtMs;
  const facts = {
    file: result.key,
    metadataFile: null,
    participants: [],
    durationSec,
    startedAtMs,
    endedAtMs: startedAtMs + durationSec * 1000,
  };
  log.info({ key: result.key, durationSec, sizeBytes: result.size }, 'salvaged the segment a lost worker had recorded');
  await deps.publish([
    deps.events.event({
      eventType: 'RECORDING_UPLOADED',
      data: { ...uploadedData(job, facts, link), segment: cp.segment, partial: true, reason: WORKER_LOST },
    }),
  ]);
  return nextSegment(cp, { segment: cp.segment, status: 'uploaded', key: result.key, partial: true, reason: WORKER_LOST });
}
