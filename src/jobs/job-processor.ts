/**
 * Job → session: turns a claimed job into a recording session, keeps its lease alive, passes stop requests
 * on, and reports the outcome with the claim's token (a stale token means another worker recovered the job:
 * this one then reports nothing). Every job ends in exactly one complete() or fail().
 */
import type { ScribaConfig } from '../config/config.ts';
import type { JobRequest } from '../domain/job-request.ts';
import type { StopReason } from '../domain/session-state.ts';
import { onAbort } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import { recorderLogin } from '../session/recorder-login.ts';
import { outputsByKind, sessionOutputs } from '../session/session-outputs.ts';
import type { SessionState } from '../domain/session-state.ts';
import type { RecordingRequest, SessionPhrase, SessionResult, StreamStatus } from '../session/session-types.ts';
import type { WebhookEventInput } from '../webhooks/webhook-event.ts';
import { FIRST_SEGMENT, parseJobCheckpoint, segmentFacts, type JobCheckpoint } from './job-checkpoint.ts';
import { JobEventTracker } from './job-events.ts';
import { salvageSegment } from './segment-salvage.ts';
import { jobSecrets } from './job-secrets.ts';
import { scrubSecrets } from '../log/session-secrets.ts';
import { uploadTranscript } from './transcript-upload.ts';
import { transcriptJournalFor, type TranscriptJournalUpload } from './transcript-journal-upload.ts';
import {
  completeUpload,
  factsFromResult,
  finishedRecording,
  newRecordingUpload,
  uploadedData,
  type RecordingFacts,
  type StorageDeps,
} from './upload-phase.ts';
import type { ClaimedJob, JobQueue } from '../queue/job-queue.ts';

/** What the processor needs of a session (RecordingSession satisfies it). */
export interface ProcessableSession {
  run(signal?: AbortSignal): Promise<SessionResult>;
  stop(reason?: Exclude<StopReason, 'error'>): void;
  on(event: 'state', listener: (state: SessionState) => void): unknown;
  on(event: 'stream', listener: (status: StreamStatus) => void): unknown;
  on(event: 'file', listener: (file: { readonly path: string }) => void): unknown;
  on(event: 'phrase', listener: (phrase: SessionPhrase) => void): unknown;
}

/** Where the processor's webhook events go (the durable outbox); `extraUrl` is the job's own receiver. */
export type PublishEvent = (event: WebhookEventInput, extraUrl: string | null) => Promise<void>;

export interface ProcessorDeps {
  readonly queue: JobQueue<JobRequest>;
  readonly config: ScribaConfig;
  readonly logger: Logger;
  createSession(request: RecordingRequest): ProcessableSession;
  /** How often the lease is renewed (a third of the lease is a good choice). */
  readonly renewEveryMs: number;
  readonly publish?: PublishEvent;
  /** Every state the session goes through (metrics). */
  onState?(jobId: string, state: SessionState): void;
  /** Where recordings go; absent: they stay in recordingsDir. */
  readonly storage?: StorageDeps;
  /** Wall clock (tests). */
  readonly now?: () => number;
}

export type JobOutcome =
  | { readonly kind: 'completed'; readonly result: SessionResult }
  /** An earlier attempt's finished recording was uploaded; nothing was recorded this time. */
  | { readonly kind: 'recovered' }
  | { readonly kind: 'failed'; readonly message: string; readonly retryable: boolean }
  | { readonly kind: 'lost' };

/** Pure: the session request for a job, or why this worker cannot run it. */
export function toRecordingRequest(job: JobRequest, config: ScribaConfig): RecordingRequest | { readonly unsupported: string } {
  let outputs: RecordingRequest['outputs'];
  try {
    outputs = sessionOutputs(job.outputs);
  } catch (err) {
    return { unsupported: err instanceof Error ? err.message : String(err) };
  }
  const { file } = outputsByKind(outputs);
  return {
    sessionId: job.sessionId,
    target: job.target,
    login: recorderLogin(config, job.sessionId, job.xmppEnvironment),
    roomPassword: job.roomPassword,
    resolution: file?.resolution ?? config.capture.resolution,
    maxDurationSec: job.maxDurationSec,
    outputs,
    fileRecordingMetadata: job.metadata,
  };
}

export async function processJob(job: ClaimedJob<JobRequest>, deps: ProcessorDeps, signal: AbortSignal): Promise<JobOutcome> {
  const { queue } = deps;
  const log = deps.logger.child({ jobId: job.id, attempt: job.attempts });
  const events = new JobEventTracker(job.data);
  // Publishing stores the event in the durable outbox; a failure there is logged, never fails the job.
  const publish = (list: readonly WebhookEventInput[]): Promise<void> =>
    Promise.all(
      list.map((e) =>
        (deps.publish?.(e, job.data.webhookUrl ?? null) ?? Promise.resolve()).catch((err: unknown) =>
          log.error({ err, eventType: e.eventType }, 'could not queue a webhook event'),
        ),
      ),
    ).then(() => undefined);
  // The stored error is shown by the API to callers of that room: never with a secret in it.
  const secrets = jobSecrets(job.data, [
    deps.config.meeting.xmppPassword,
    deps.config.webhooks.secret,
    deps.config.transcription.openai.apiKey,
    recorderLogin(deps.config, job.data.sessionId, job.data.xmppEnvironment)?.password,
  ]);
  // A brewery session is never queued again: Jicofo retries it on another recorder itself.
  const fromBrewery = job.data.xmppEnvironment !== undefined;
  const fail = (message: string, retryable: boolean): Promise<boolean> =>
    queue.fail(job.id, job.token, { message: scrubSecrets(message, secrets), retryable: retryable && !fromBrewery });
  // A recording asked for long ago is of no use now (the meeting moved on; Jicofo gives up after 90 s):
  // fail it rather than join late. Only a first claim: a recovered job was already running.
  const waitedMs = (deps.now ?? Date.now)() - job.enqueuedAtMs;
  if (job.attempts === 1 && waitedMs > deps.config.queue.maxQueuedSec * 1000) {
    const message = `no recorder was free within ${deps.config.queue.maxQueuedSec} s of the request; the session was not started`;
    log.warn({ waitedMs }, 'queued too long; not starting');
    if (await fail(message, false)) await publish(events.onFailure({ code: 'queue_expired', message, retryable: false }));
    return { kind: 'failed', message, retryable: false };
  }
  const request = toRecordingRequest(job.data, deps.config);
  if ('unsupported' in request) {
    const reported = await fail(request.unsupported, false);
    if (reported) await publish(events.onFailure({ code: 'invalid_request', message: request.unsupported, retryable: false }));
    return { kind: 'failed', message: request.unsupported, retryable: false };
  }
  const storage = outputsByKind(request.outputs).file !== null ? deps.storage : undefined;
  let lost = false;
  let stopRequested = false;
  let onLeaseLost = (): void => undefined;
  const renewer = setInterval(() => {
    void queue.renew(job.id, job.token).then(
      (ok) => {
        if (ok || lost) return;
        // Another worker may already run this job: stop ours so it never runs twice at once.
        lost = true;
        log.warn('lease lost; stopping');
        onLeaseLost();
      },
      (err: unknown) => log.warn({ err }, 'lease renewal failed; will retry'),
    );
  }, deps.renewEveryMs);

  /** This session's segments when a lost worker recorded earlier ones (set before recording); null: one segment. */
  let segments: ReturnType<typeof segmentFacts> = null;
  /** The transcript journal of the segment being recorded, while one is open. */
  let journal: TranscriptJournalUpload | null = null;
  /** Upload, announce, then complete; an abort (drain) leaves the job to whoever recovers it. */
  const upload = async (
    uploader: ReturnType<typeof newRecordingUpload>,
    facts: RecordingFacts,
  ): Promise<{ key: string; link: string | null } | { error: string } | 'aborted'> => {
    const aborter = new AbortController();
    onLeaseLost = () => aborter.abort();
    // Only an abort during the upload cuts it short: a session stopped by the signal (drain) still uploads its file.
    const stopListening = signal.aborted ? () => undefined : onAbort(signal, () => aborter.abort());
    try {
      const backup = storage?.backup
        ? { upload: () => newRecordingUpload(storage, job.data.sessionId, log, facts.startedAtMs, 'backup'), logger: log }
        : undefined;
      const up = await completeUpload(uploader, facts, aborter.signal, backup);
      storage?.onUploaded?.('uploaded', up.size);
      log.info({ key: up.key, sizeBytes: up.size, store: up.store }, 'recording uploaded and verified; local copy removed');
      const segment = segments === null ? {} : { segment: segments.segment, partial: false };
      await publish([events.event({ eventType: 'RECORDING_UPLOADED', data: { ...uploadedData(job.data, facts, up.link), ...segment } })]);
      return { key: up.key, link: up.link };
    } catch (err) {
      await uploader.abort();
      if (aborter.signal.aborted) return 'aborted';
      storage?.onUploaded?.('failed', 0);
      const message = `the upload failed: ${(err as Error).message}`;
      log.error({ err }, 'upload failed; the local copy is kept until retention deletes it');
      await publish(events.onFailure({ code: 'upload_failed', message, retryable: false }));
      return { error: message };
    } finally {
      stopListening();
    }
  };

  try {
    // A previous attempt finished recording but died before its upload was done: upload, do not record again.
    const previous = storage ? await finishedRecording(deps.config.recordingsDir, job.data.sessionId) : null;
    if (storage && previous) {
      log.info({ file: previous.file }, 'found a finished recording of an earlier attempt; uploading it');
      const done = await upload(newRecordingUpload(storage, job.data.sessionId, log, previous.startedAtMs), previous);
      if (done === 'aborted' || lost) return { kind: 'lost' };
      if ('error' in done) {
        return (await fail(done.error, false)) ? { kind: 'failed', message: done.error, retryable: false } : { kind: 'lost' };
      }
      const summary = { path: null, key: done.key, link: done.link, durationSec: previous.durationSec, reason: 'recovered' };
      return (await queue.complete(job.id, job.token, summary)) ? { kind: 'recovered' } : { kind: 'lost' };
    }

    // The worker that ran this job died mid-recording: first salvage what it had uploaded (its checkpoint in
    // the queue), then record again as the next segment.
    let checkpoint: JobCheckpoint = parseJobCheckpoint(job.checkpoint) ?? FIRST_SEGMENT;
    if (deps.storage && (checkpoint.upload !== null || checkpoint.transcript !== null)) {
      checkpoint = await salvageSegment(job.data, checkpoint, { storage: deps.storage, logger: log, events, publish, signal });
      if (!(await queue.saveCheckpoint(job.id, job.token, checkpoint))) return { kind: 'lost' };
    }
    segments = segmentFacts(checkpoint);
    if (fromBrewery && job.attempts > 1) {
      // Its worker died mid-session: Jicofo has already moved on, and nobody would ever stop a new recording.
      const salvaged = checkpoint.earlier.at(-1);
      if (salvaged?.status === 'uploaded') {
        const summary = { path: null, key: salvaged.key, durationSec: null, reason: 'worker_lost', segments: checkpoint.earlier };
        return (await queue.complete(job.id, job.token, summary)) ? { kind: 'recovered' } : { kind: 'lost' };
      }
      const message = 'the worker running this brewery session was lost; the session was not restarted';
      log.warn(message);
      if (await fail(message, false)) await publish(events.onFailure({ code: 'internal', message, retryable: false }));
      return { kind: 'failed', message, retryable: false };
    }
    const session = deps.createSession({ ...request, uploadWhileRecording: storage !== undefined, segments });
    let captureStartedAtMs: number | null = null;
    const recording = checkpoint;
    // The lease holder checkpoints the uploads in the job, so whoever recovers it can salvage what went up.
    // One save at a time, each with the latest of both: the recording's and the transcript journal's.
    const latest: { upload: unknown; transcript: unknown } = { upload: null, transcript: null };
    let saving: Promise<unknown> = Promise.resolve();
    const save = (change: Partial<typeof latest>): Promise<void> => {
      Object.assign(latest, change);
      const run = saving.then(async () => {
        if (!(await queue.saveCheckpoint(job.id, job.token, { ...recording, ...latest, captureStartedAtMs })))
          throw new Error('the lease is lost');
      });
      saving = run.catch(() => undefined);
      return run;
    };
    const uploader = storage
      ? newRecordingUpload(storage, job.data.sessionId, log, Date.now(), 'primary', (upload) => save({ upload }))
      : null;
    journal = transcriptJournalFor(
      job.data,
      request,
      recording.segment,
      deps,
      log,
      () => captureStartedAtMs,
      (transcript) => save({ transcript }),
    );
    session.on('state', (s) => {
      deps.onState?.(job.id, s);
      void publish(events.onState(s));
    });
    session.on('stream', (s) => void publish(events.onStream(s)));
    session.on('file', ({ path }) => {
      captureStartedAtMs = Date.now();
      uploader?.begin(path);
    });
    session.on('phrase', (p) => {
      journal?.append(p);
      void publish(events.onPhrase(p));
    });
    onLeaseLost = () => session.stop('requested');
    const unsubscribe = queue.onStopRequested(job.id, () => {
      log.info('stop requested through the queue');
      stopRequested = true;
      session.stop('requested');
    });
    let result: SessionResult;
    try {
      result = await session.run(signal);
    } finally {
      unsubscribe();
    }
    if (lost) {
      await uploader?.abort();
      await journal?.detach();
      return { kind: 'lost' };
    }
    const facts = factsFromResult(result, Date.now());
    let stored: { key: string; link: string | null } | { error: string } | null = null;
    if (result.status === 'finished') await publish(events.onEnd(result, true));
    // Before the recording's upload, which removes the session directory the transcript is in.
    let transcript: { key: string; link: string } | { path: string } | null = result.transcript
      ? { path: result.transcript.files.json }
      : null;
    if (deps.storage && result.transcript) {
      try {
        const { key, link } = await uploadTranscript(
          deps.storage.store,
          job.data.sessionId,
          result.transcript.files,
          deps.storage.linkTtlSec,
          signal,
        );
        transcript = { key, link };
        log.info({ key }, 'transcript uploaded');
        // After a salvaged segment, this transcript too says which segment it is.
        await publish(events.onTranscriptUploaded(link, segments === null ? undefined : { segment: segments.segment, partial: false }));
      } catch (err) {
        // The recording still goes on to its upload; the transcript stays on disk until retention removes it.
        log.error({ err }, 'transcript upload failed; the local copy is kept');
      }
    }
    await journal?.discard();
    if (uploader && facts) {
      const done = await upload(uploader, facts);
      if (done === 'aborted' || lost) return { kind: 'lost' };
      stored = done;
    } else {
      await uploader?.abort();
    }
    if (result.status === 'finished') {
      const where =
        stored === null
          ? { path: result.file?.path ?? null }
          : 'error' in stored
            ? { path: result.file?.path ?? null, uploadError: scrubSecrets(stored.error, secrets) }
            : { path: null, key: stored.key, link: stored.link };
      const summary = {
        ...where,
        durationSec: result.durationSec,
        reason: result.reason,
        ...(result.stream ? { stream: result.stream } : {}),
        ...(transcript ? { transcript } : {}),
        ...(segments ? { segment: segments.segment, segments: segments.earlier } : {}),
      };
      return (await queue.complete(job.id, job.token, summary)) ? { kind: 'completed', result } : { kind: 'lost' };
    }
    const failure = result.failure ?? { message: 'the session failed', retryable: false };
    const reported = await fail(failure.message, failure.retryable);
    if (!reported) return { kind: 'lost' };
    // Final when no retry follows (lease.ts's rule): not retryable, attempts used up, or a stop was asked for.
    await publish(
      events.onEnd(result, !failure.retryable || fromBrewery || stopRequested || job.attempts >= deps.config.queue.maxAttempts),
    );
    return { kind: 'failed', message: failure.message, retryable: failure.retryable };
  } finally {
    clearInterval(renewer);
    // Still open only when the attempt ended unexpectedly: leave the journal for whoever recovers the job.
    await journal?.detach();
  }
}
