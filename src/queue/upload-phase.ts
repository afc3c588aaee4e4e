/**
 * After (and during) a session: the recording goes to the object store while it is written, metadata.json
 * follows, the link is announced with RECORDING_UPLOADED, and only then is the local copy removed. A job
 * recovered after its worker died once the recording was finished goes straight to this phase.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JobRequest } from '../domain/job-request.ts';
import { sanitizeSessionId } from '../domain/output-naming.ts';
import type { Logger } from '../log/logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { RecordingUpload, type UploadedRecording } from '../storage/recording-upload.ts';
import type { SessionResult } from '../session/session-types.ts';
import type { RecordingUploadedData } from '../webhooks/webhook-event.ts';

export interface StorageDeps {
  readonly store: ObjectStore;
  readonly partSizeBytes: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly linkTtlSec: number;
  /** Everything is deleted after this anyway, so retrying an upload longer makes no sense. */
  readonly retentionSec: number;
  /** Counted in metrics. */
  onUploaded?(outcome: 'uploaded' | 'failed', bytes: number): void;
}

/** What RECORDING_UPLOADED needs to know about the recording, from the session or from metadata.json. */
export interface RecordingFacts {
  readonly file: string;
  readonly metadataFile: string | null;
  readonly participants: ReadonlyArray<{ readonly id: string; readonly name: string | null }>;
  readonly durationSec: number;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
}

export function factsFromResult(result: SessionResult, nowMs: number): RecordingFacts | null {
  if (result.file === null) return null;
  const ended = Date.parse(result.endedAt);
  const started = result.startedAt === null ? ended - result.durationSec * 1000 : Date.parse(result.startedAt);
  return {
    file: result.file.path,
    metadataFile: result.metadataFile,
    participants: result.participants,
    durationSec: result.durationSec,
    startedAtMs: Number.isFinite(started) ? started : nowMs,
    endedAtMs: Number.isFinite(ended) ? ended : nowMs,
  };
}

/**
 * A finished recording of this session left by an earlier attempt (its worker died before the upload was
 * done), or null. Reads the session's metadata.json; a recording still marked `recording` is not finished.
 */
export async function finishedRecording(recordingsDir: string, sessionId: string): Promise<RecordingFacts | null> {
  const dir = join(recordingsDir, sanitizeSessionId(sessionId));
  const metadataFile = join(dir, 'metadata.json');
  let meta: { participants?: unknown; scriba?: Record<string, unknown> };
  try {
    meta = JSON.parse(await readFile(metadataFile, 'utf8')) as typeof meta;
  } catch {
    return null;
  }
  const s = meta.scriba ?? {};
  const file = (s['file'] as { name?: unknown } | null | undefined)?.name;
  if (s['status'] === 'recording' || typeof file !== 'string' || file.includes('/')) return null;
  const started = Date.parse(String(s['started_at']));
  const ended = Date.parse(String(s['ended_at']));
  const participants = Array.isArray(meta.participants)
    ? meta.participants.filter((p): p is { id: string; name: string | null } => typeof (p as { id?: unknown })?.id === 'string')
    : [];
  return {
    file: join(dir, file),
    metadataFile,
    participants,
    durationSec: typeof s['duration_sec'] === 'number' ? s['duration_sec'] : 0,
    startedAtMs: Number.isFinite(started) ? started : 0,
    endedAtMs: Number.isFinite(ended) ? ended : 0,
  };
}

/** RECORDING_UPLOADED's data (contracts.md §1). Pure. */
export function uploadedData(job: JobRequest, facts: RecordingFacts, link: string | null): RecordingUploadedData {
  return {
    participants: facts.participants.map((p) => ({ name: p.name ?? '', avatar: '', id: p.id })),
    preAuthenticatedLink: link ?? '',
    share: job.metadata['share'] === true,
    initiatorId: job.initiator?.id ?? '',
    durationSec: Math.round(facts.durationSec * 100) / 100,
    startTimestamp: facts.startedAtMs,
    endTimestamp: facts.endedAtMs,
    recordingSessionId: job.sessionId,
  };
}

export function newRecordingUpload(storage: StorageDeps, sessionId: string, logger: Logger, startedAtMs: number): RecordingUpload {
  return new RecordingUpload({
    store: storage.store,
    sessionId: sanitizeSessionId(sessionId),
    partSizeBytes: storage.partSizeBytes,
    linkTtlSec: storage.linkTtlSec,
    logger,
    retry: {
      initialDelayMs: storage.retryInitialMs,
      maxDelayMs: storage.retryMaxMs,
      giveUpAfterMs: Math.max(60_000, storage.retentionSec * 1000 - (Date.now() - startedAtMs)),
    },
  });
}

/** Finishes the upload; on success removes the local session directory (verified copies only). */
export async function completeUpload(upload: RecordingUpload, facts: RecordingFacts, signal: AbortSignal): Promise<UploadedRecording> {
  const uploaded = await upload.complete({ recording: facts.file, metadata: facts.metadataFile }, signal);
  await rm(dirname(facts.file), { recursive: true, force: true });
  return uploaded;
}
