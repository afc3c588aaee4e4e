/**
 * Writes the transcript journal (transcript-journal.ts) as phrases arrive and uploads it as it grows, with
 * checkpoints cut after whole lines, so the phrases said so far survive this worker's death. After a normal
 * end the journal is discarded (the transcript proper is uploaded instead); a worker going away detaches it,
 * leaving it on the store for whoever salvages the job.
 */
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ScribaConfig } from '../config/config.ts';
import type { JobRequest } from '../domain/job-request.ts';
import { sanitizeSessionId } from '../domain/output-naming.ts';
import type { Logger } from '../log/logger.ts';
import { outputsByKind } from '../session/session-outputs.ts';
import type { RecordingRequest, SessionPhrase } from '../session/session-types.ts';
import { lineBoundary, startGrowingFileUpload, type GrowingFileUpload, type UploadCheckpoint } from '../storage/index.ts';
import { headerLine, journalKey, phraseLine, type JournalHeader } from './transcript-journal.ts';
import { storageRetry, type StorageDeps } from './upload-phase.ts';

export interface JournalUploadOptions {
  readonly storage: StorageDeps;
  /** The local file (created with the first phrase). */
  readonly path: string;
  readonly key: string;
  /** Read when the first phrase arrives (the capture start is known by then). */
  header(firstPhrase: SessionPhrase): JournalHeader;
  onCheckpoint(checkpoint: UploadCheckpoint): Promise<void>;
  readonly logger: Logger;
}

export class TranscriptJournalUpload {
  readonly #o: JournalUploadOptions;
  readonly #upload: GrowingFileUpload;
  #writes: Promise<void> = Promise.resolve();
  #started = false;
  #closed: Promise<void> | null = null;

  constructor(o: JournalUploadOptions) {
    this.#o = o;
    const s = o.storage;
    this.#upload = startGrowingFileUpload({
      store: s.store,
      key: o.key,
      path: o.path,
      contentType: 'application/x-ndjson',
      partSize: s.partSizeBytes,
      retry: storageRetry(s),
      logger: o.logger,
      checkpoint: {
        onCheckpoint: o.onCheckpoint,
        boundary: lineBoundary(),
        ...(s.tailIntervalMs === undefined ? {} : { tailIntervalMs: s.tailIntervalMs }),
      },
    });
  }

  /** Appends the phrase (in order; a failure is logged: the journal is a safety net, not the transcript). */
  append(phrase: SessionPhrase): void {
    if (this.#closed !== null) return;
    this.#writes = this.#writes
      .then(async () => {
        if (!this.#started) {
          await mkdir(dirname(this.#o.path), { recursive: true, mode: 0o700 });
          await appendFile(this.#o.path, headerLine(this.#o.header(phrase)), { mode: 0o600 });
          this.#started = true;
        }
        await appendFile(this.#o.path, phraseLine(phrase));
      })
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'could not append to the transcript journal'));
  }

  /** The session ended normally: discard the journal here and on the store. Idempotent. */
  discard(): Promise<void> {
    this.#closed ??= this.#close(() => this.#upload.abort());
    return this.#closed;
  }

  /** This worker lost the job or is going away: leave what went up for salvage. Idempotent. */
  detach(): Promise<void> {
    this.#closed ??= this.#close(async () => void (await this.#upload.detach()));
    return this.#closed;
  }

  async #close(stop: () => Promise<void>): Promise<void> {
    await this.#writes;
    await stop().catch((err: unknown) => this.#o.logger.warn({ err }, 'could not stop the transcript journal upload'));
    await rm(this.#o.path, { force: true });
  }
}

/** The journal of a job's segment when it transcribes and there is a store; null otherwise. */
export function transcriptJournalFor(
  job: JobRequest,
  request: RecordingRequest,
  segment: number,
  deps: { readonly storage?: StorageDeps | undefined; readonly config: ScribaConfig },
  logger: Logger,
  captureStartedAtMs: () => number | null,
  onCheckpoint: (checkpoint: UploadCheckpoint) => Promise<void>,
): TranscriptJournalUpload | null {
  const target = outputsByKind(request.outputs).transcription;
  if (deps.storage === undefined || target === null) return null;
  return new TranscriptJournalUpload({
    storage: deps.storage,
    path: join(deps.config.workDir, 'journals', `${sanitizeSessionId(job.sessionId)}-segment-${segment}.jsonl`),
    key: journalKey(job.sessionId, segment),
    // A transcription-only session has no 'file' event: its timeline starts about when the first phrase ended.
    header: (p) => ({
      room: job.target.room,
      startedAtMs: captureStartedAtMs() ?? Date.now() - Math.round(p.endSec * 1000),
      language: target.language,
      engine: target.engine ?? deps.config.transcription.engine,
    }),
    onCheckpoint,
    logger,
  });
}
