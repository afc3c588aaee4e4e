/**
 * The transcript half of salvage: the lost worker's transcript journal (checkpointed like its recording) is
 * completed on the store, rebuilt into the transcript's three files under `<session>/segment-<n>.transcript.*`,
 * and announced with TRANSCRIPTION_UPLOADED naming the segment. The journal object is then deleted.
 */
import type { JobRequest } from '../domain/job-request.ts';
import type { Logger } from '../log/logger.ts';
import { transcriptToJson, transcriptToTxt, transcriptToVtt } from '../transcription/index.ts';
import { completeCheckpointedUpload, type SalvageDeps } from './checkpointed-upload.ts';
import type { JobCheckpoint } from './job-checkpoint.ts';
import { salvagedTranscriptKeys, transcriptFromJournal } from './transcript-journal.ts';

/** Far above any transcript (an hour of speech is well under 1 MiB of journal): refuse to read more. */
const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

export interface SalvagedTranscript {
  readonly key: string;
  readonly phrases: number;
}

/**
 * Null when there was no usable journal (nothing went up, or the store lost it: logged). Throws only when the
 * store stays down past the retry horizon or the signal aborts.
 */
export async function salvageTranscript(
  job: JobRequest,
  cp: JobCheckpoint,
  deps: SalvageDeps,
  reason: string,
): Promise<SalvagedTranscript | null> {
  const log: Logger = deps.logger.child({ segment: cp.segment, part: 'transcript' });
  const completed = await completeCheckpointedUpload(cp.transcript, 'transcript', deps, log);
  if (completed === null) return null;
  const { result } = completed;
  const { storage } = deps;
  if (result.status === 'nothing' || result.status === 'lost') {
    log.warn({ status: result.status }, 'no transcript journal to salvage');
    return null;
  }
  const bytes = await storage.store.read(result.key, { maxBytes: MAX_JOURNAL_BYTES, signal: deps.signal });
  const rebuilt = bytes === null ? null : transcriptFromJournal(Buffer.from(bytes).toString('utf8'));
  if (rebuilt === null) {
    log.warn({ key: result.key }, 'the salvaged transcript journal is unreadable');
    return null;
  }
  const keys = salvagedTranscriptKeys(job.sessionId, cp.segment);
  const t = rebuilt.transcript;
  const files = [
    [keys.json, transcriptToJson(t), 'application/json'],
    [keys.txt, transcriptToTxt(t), 'text/plain; charset=utf-8'],
    [keys.vtt, transcriptToVtt(t), 'text/vtt'],
  ] as const;
  for (const [key, text, contentType] of files) {
    await storage.store.put(key, { bytes: Buffer.from(text) }, { contentType, signal: deps.signal });
  }
  await storage.store.delete(result.key, { signal: deps.signal }).catch((err: unknown) => {
    log.warn({ err, key: result.key }, 'could not delete the salvaged transcript journal');
  });
  let link: string | null = null;
  try {
    link = await storage.store.link(keys.json, storage.linkTtlSec);
  } catch (err) {
    log.warn({ err }, 'the store cannot make a link for the salvaged transcript');
  }
  log.info({ key: keys.json, phrases: rebuilt.phrases }, 'salvaged the transcript a lost worker had written');
  await deps.publish(deps.events.onTranscriptUploaded(link ?? '', { segment: cp.segment, partial: true, reason }));
  return { key: keys.json, phrases: rebuilt.phrases };
}
