/**
 * Completes an upload a lost worker checkpointed in its job (the recording's or the transcript journal's):
 * the checkpoint is checked first, since it came from another process, then the upload is finished with the
 * deployment's storage retry settings. Null when the checkpoint is unusable (logged; nothing to salvage); else
 * the checkpoint as parsed and how its completion went.
 */
import type { Logger } from '../log/logger.ts';
import { parseUploadCheckpoint, salvageUpload, type SalvageResult, type UploadCheckpoint } from '../storage/index.ts';
import type { WebhookEventInput } from '../webhooks/webhook-event.ts';
import type { JobEventTracker } from './job-events.ts';
import { storageRetry, type StorageDeps } from './upload-phase.ts';

/** What salvaging a lost worker's segment needs (its recording and its transcript alike). */
export interface SalvageDeps {
  readonly storage: StorageDeps;
  readonly logger: Logger;
  readonly events: JobEventTracker;
  publish(events: readonly WebhookEventInput[]): Promise<void>;
  readonly signal: AbortSignal;
}

export async function completeCheckpointedUpload(
  raw: unknown,
  what: 'recording' | 'transcript',
  deps: Pick<SalvageDeps, 'storage' | 'signal'>,
  log: Logger,
): Promise<{ readonly checkpoint: UploadCheckpoint; readonly result: SalvageResult } | null> {
  let checkpoint: UploadCheckpoint;
  try {
    checkpoint = parseUploadCheckpoint(raw);
  } catch (err) {
    log.warn({ err: (err as Error).message }, `the ${what}'s upload checkpoint is unusable; nothing of it to salvage`);
    return null;
  }
  const result = await salvageUpload({
    store: deps.storage.store,
    checkpoint,
    retry: storageRetry(deps.storage),
    logger: log,
    signal: deps.signal,
  });
  return { checkpoint, result };
}
