/**
 * A recovered job whose worker died mid-recording: finish the upload of what that worker had captured (its
 * checkpoint in the queue), check the object plays, store its metadata, announce it as a partial segment,
 * salvage its transcript so far (transcript-salvage.ts), and say which segment the new recording is. The store
 * being down is retried (salvageUpload); an upload the store no longer knows is reported lost, and the session
 * goes on either way.
 */
import type { JobRequest } from '../domain/job-request.ts';
import { publicMeetingUrl } from '../session/metadata.ts';
import { completeCheckpointedUpload, type SalvageDeps } from './checkpointed-upload.ts';
import { nextSegment, type JobCheckpoint, type SegmentNote } from './job-checkpoint.ts';
import { storedMp4Seconds } from './stored-media-probe.ts';
import { salvageTranscript } from './transcript-salvage.ts';
import { uploadedData } from './upload-phase.ts';

/** Why a salvaged segment ended early, in its events and metadata. */
export const WORKER_LOST = 'worker_lost';

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
 * Deals with the segment the checkpoint describes (its recording, then its transcript) and returns the
 * checkpoint to record the next one with. A segment that left only a transcript still counts as a segment.
 * Throws only when the store stays down past the retry horizon or the signal aborts (the job then stays
 * with whoever recovers it next, checkpoint intact).
 */
export async function salvageSegment(job: JobRequest, cp: JobCheckpoint, deps: SalvageDeps): Promise<JobCheckpoint> {
  const media = cp.upload === null ? null : await salvageMedia(job, cp, deps);
  const transcript = cp.transcript === null ? null : await salvageTranscript(job, cp, deps, WORKER_LOST);
  const note: SegmentNote | null =
    media ??
    (transcript === null ? null : { segment: cp.segment, status: 'uploaded', key: transcript.key, partial: true, reason: WORKER_LOST });
  return nextSegment(cp, note);
}

/** The recording: how the segment ended, or null when the lost worker had uploaded none of it. */
async function salvageMedia(job: JobRequest, cp: JobCheckpoint, deps: SalvageDeps): Promise<SegmentNote | null> {
  const log = deps.logger.child({ segment: cp.segment });
  const completed = await completeCheckpointedUpload(cp.upload, 'recording', deps, log);
  if (completed === null) return null;
  const { result } = completed;
  const { storage } = deps;
  if (result.status === 'nothing') {
    log.info('the lost worker had uploaded none of the recording yet');
    return null;
  }
  const lost = (reason: string): SegmentNote => ({ segment: cp.segment, status: 'lost', key: null, partial: true, reason });
  if (result.status === 'lost') {
    const note = lost(result.reason);
    await deps.publish(deps.events.onSegmentLost(cp.segment, `segment ${cp.segment} could not be salvaged: ${result.reason}`));
    return note;
  }
  const durationSec = await storedMp4Seconds(storage.store, result.key, result.size, deps.signal);
  if (durationSec === null) {
    await deps.publish(deps.events.onSegmentLost(cp.segment, `segment ${cp.segment} was salvaged but does not play`));
    return lost('unplayable');
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
  const startedAtMs = cp.captureStartedAtMs ?? completed.checkpoint.startedAtMs;
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
  return { segment: cp.segment, status: 'uploaded', key: result.key, partial: true, reason: WORKER_LOST };
}
