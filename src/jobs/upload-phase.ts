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
import type { RetryPolicy } from '../storage/retry.ts';
import type { UploadCheckpoint } from '../storage/upload-checkpoint.ts';
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
  /** Where recordings go when the store keeps failing for `afterMs` (or refuses them outright). */
  readonly backup?: { readonly store: ObjectStore; readonly afterMs: number };
  /** Counted in metrics. */
  onUploaded?(outcome: 'uploaded' | 'failed', bytes: number): void;
  /** How often the bytes after the last whole part go up as a tail object (what a crash can lose); default 5 s. */
  readonly tailIntervalMs?: number;
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

/** RECORDING_UPLOADED's data (docs/webhooks.md). Pure. */
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

/** The deployment's storage retries, given up after `giveUpAfterMs` (default: the retention, past which nothing is kept). */
export function storageRetry(storage: StorageDeps, giveUpAfterMs = storage.retentionSec * 1000): RetryPolicy {
  return { initialDelayMs: storage.retryInitialMs, maxDelayMs: storage.retryMaxMs, giveUpAfterMs };
}

export function newRecordingUpload(
  storage: StorageDeps,
  sessionId: string,
  logger: Logger,
  startedAtMs: number,
  target: 'primary' | 'backup' = 'primary',
  onCheckpoint?: (checkpoint: UploadCheckpoint) => Promise<void>,
): RecordingUpload {
  // At least a couple of attempts even when the horizon has (nearly) passed.
  const horizonMs = Math.max(2 * storage.retryMaxMs, storage.retentionSec * 1000 - (Date.now() - startedAtMs));
  // With a backup store, the primary gets only `afterMs` of retries before the backup takes over.
  const giveUpAfterMs = target === 'primary' && storage.backup ? Math.min(storage.backup.afterMs, horizonMs) : horizonMs;
  return new RecordingUpload({
    store: target === 'backup' && storage.backup ? storage.backup.store : storage.store,
    sessionId: sanitizeSessionId(sessionId),
    partSizeBytes: storage.partSizeBytes,
    linkTtlSec: storage.linkTtlSec,
    logger,
    ...(onCheckpoint === undefined
      ? {}
      : { checkpoint: { onCheckpoint, ...(storage.tailIntervalMs === undefined ? {} : { tailIntervalMs: storage.tailIntervalMs }) } }),
    retry: storageRetry(storage, giveUpAfterMs),
  });
}

/**
 * Finishes the upload (falling back to `backup()` when the store keeps failing); on success removes the
 * local session directory (verified copies only).
 */
export async function completeUpload(
  upload: RecordingUpload,
  facts: RecordingFacts,
  signal: AbortSignal,
  backup?: { readonly upload: () => RecordingUpload; readonly logger: Logger },
): Promise<UploadedRecording & { readonly store: 'primary' | 'backup' }> {
  const files = { recording: facts.file, metadata: facts.metadataFile };
  let uploaded: UploadedRecording;
  let store: 'primary' | 'backup' = 'primary';
  try {
    uploaded = await upload.complete(files, signal);
  } catch (err) {
    if (backup === undefined || signal.aborted) throw err;
    await upload.abort();
    backup.logger.warn({ err: (err as Error).message }, 'the store keeps failing: uploading to the backup store');
    uploaded = await backup.upload().complete(files, signal);
    store = 'backup';
  }
  await rm(dirname(facts.file), { recursive: true, force: true });
  return { ...uploaded, store };
}
