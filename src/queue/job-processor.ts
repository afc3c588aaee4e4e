/**
 * Job → session: turns a claimed job into a recording session, keeps its lease alive, passes stop requests
 * on, and reports the outcome with the claim's token (a stale token means another worker recovered the job:
 * this one then reports nothing). Every job ends in exactly one complete() or fail().
 */
import type { ScribaConfig } from '../config/config.ts';
import type { JobRequest } from '../domain/job-request.ts';
import type { StopReason } from '../domain/session-state.ts';
import type { Logger } from '../log/logger.ts';
import { recorderLogin } from '../session/recorder-login.ts';
import type { SessionState } from '../domain/session-state.ts';
import type { RecordingRequest, SessionResult, StreamStatus } from '../session/session-types.ts';
import type { WebhookEventInput } from '../webhooks/webhook-event.ts';
import { JobEventTracker } from './job-events.ts';
import type { ClaimedJob, JobQueue } from './job-queue.ts';

/** What the processor needs of a session (RecordingSession satisfies it). */
export interface ProcessableSession {
  run(signal?: AbortSignal): Promise<SessionResult>;
  stop(reason?: Exclude<StopReason, 'error'>): void;
  on(event: 'state', listener: (state: SessionState) => void): unknown;
  on(event: 'stream', listener: (status: StreamStatus) => void): unknown;
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
}

export type JobOutcome =
  | { readonly kind: 'completed'; readonly result: SessionResult }
  | { readonly kind: 'failed'; readonly message: string; readonly retryable: boolean }
  | { readonly kind: 'lost' };

/** Pure: the session request for a job, or why this worker cannot run it. */
export function toRecordingRequest(job: JobRequest, config: ScribaConfig): RecordingRequest | { readonly unsupported: string } {
  const file = job.outputs.find((o) => o.kind === 'file');
  const stream = job.outputs.find((o) => o.kind === 'stream');
  // Transcription (issue 7) is not built yet: say so instead of silently dropping it.
  if (job.outputs.some((o) => o.kind === 'transcription')) {
    return { unsupported: 'this worker cannot transcribe yet; ask for file and/or stream' };
  }
  return {
    sessionId: job.sessionId,
    target: job.target,
    login: recorderLogin(config, job.sessionId),
    roomPassword: job.roomPassword,
    resolution: file?.kind === 'file' ? file.resolution : config.capture.resolution,
    maxDurationSec: job.maxDurationSec,
    recordFile: file !== undefined,
    stream: stream?.kind === 'stream' ? { url: stream.url, youtubeBroadcastId: stream.youtubeBroadcastId } : null,
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
  const request = toRecordingRequest(job.data, deps.config);
  if ('unsupported' in request) {
    const reported = await queue.fail(job.id, job.token, { message: request.unsupported, retryable: false });
    if (reported) await publish(events.onFailure({ code: 'invalid_request', message: request.unsupported, retryable: false }));
    return { kind: 'failed', message: request.unsupported, retryable: false };
  }
  const session = deps.createSession(request);
  session.on('state', (s) => {
    deps.onState?.(job.id, s);
    void publish(events.onState(s));
  });
  session.on('stream', (s) => void publish(events.onStream(s)));
  let stopRequested = false;
  let lost = false;
  const unsubscribe = queue.onStopRequested(job.id, () => {
    log.info('stop requested through the queue');
    stopRequested = true;
    session.stop('requested');
  });
  const renewer = setInterval(() => {
    void queue.renew(job.id, job.token).then(
      (ok) => {
        if (ok || lost) return;
        // Another worker may already run this job: stop ours so it never runs twice at once.
        lost = true;
        log.warn('lease lost; stopping the session');
        session.stop('requested');
      },
      (err: unknown) => log.warn({ err }, 'lease renewal failed; will retry'),
    );
  }, deps.renewEveryMs);
  try {
    const result = await session.run(signal);
    if (lost) return { kind: 'lost' };
    if (result.status === 'finished') {
      const summary = { path: result.file?.path ?? null, durationSec: result.durationSec, reason: result.reason };
      const completed = await queue.complete(job.id, job.token, summary);
      if (completed) await publish(events.onEnd(result, true));
      return completed ? { kind: 'completed', result } : { kind: 'lost' };
    }
    const failure = result.failure ?? { message: 'the session failed', retryable: false };
    const reported = await queue.fail(job.id, job.token, { message: failure.message, retryable: failure.retryable });
    if (!reported) return { kind: 'lost' };
    // Final when no retry follows (lease.ts's rule): not retryable, attempts used up, or a stop was asked for.
    await publish(events.onEnd(result, !failure.retryable || stopRequested || job.attempts >= deps.config.queue.maxAttempts));
    return { kind: 'failed', message: failure.message, retryable: failure.retryable };
  } finally {
    clearInterval(renewer);
    unsubscribe();
  }
}
