/**
 * Which webhook events a job's session produces, as a pure tracker: fed the session's state and stream
 * events and its result, it returns the events to publish, each exactly once per attempt.
 */
import type { JobKind, JobRequest } from '../domain/job-request.ts';
import type { SessionFailure, SessionState } from '../domain/session-state.ts';
import type { SessionPhrase, SessionResult, StreamStatus } from '../session/session-types.ts';
import type { FailedMode, WebhookEventInput } from '../webhooks/webhook-event.ts';
import { jobSecrets } from './job-secrets.ts';
import { scrubSecrets } from '../log/session-secrets.ts';

/** The room's JID as Jicofo names it (docs/jitsi-deployment.md): `<room>@conference.[<tenant>.]<domain>`. */
export function conferenceJid(job: JobRequest): string {
  const host = new URL(job.target.baseUrl).hostname;
  return `${job.target.room}@conference.${job.target.tenant ? `${job.target.tenant}.` : ''}${host}`.toLowerCase();
}

function primaryMode(kinds: readonly JobKind[]): FailedMode {
  return kinds.includes('file') ? 'file' : kinds.includes('stream') ? 'stream' : 'transcription';
}

export class JobEventTracker {
  readonly #job: JobRequest;
  readonly #kinds: readonly JobKind[];
  readonly #now: () => number;
  /** Error texts in events are scrubbed against these: a receiver never learns a session's secrets. */
  readonly #secrets: readonly string[];
  #recordingStarted = false;
  #streamStarted = false;
  #streamEnded = false;

  constructor(job: JobRequest, now: () => number = Date.now) {
    this.#job = job;
    this.#kinds = job.outputs.map((o) => o.kind);
    this.#now = now;
    this.#secrets = jobSecrets(job);
  }

  #clean(message: string): string {
    return scrubSecrets(message, this.#secrets);
  }

  /** Any event of this job, with the envelope's session, room and app filled in. */
  event<E extends WebhookEventInput>(e: Omit<E, 'sessionId' | 'room' | 'appId' | 'timestampMs'>): WebhookEventInput {
    return {
      ...e,
      sessionId: this.#job.sessionId,
      room: this.#job.target.room,
      appId: this.#job.appId ?? null,
      timestampMs: this.#now(),
    } as WebhookEventInput;
  }

  onState(state: SessionState): WebhookEventInput[] {
    if (state.status !== 'running' || this.#recordingStarted || !this.#kinds.includes('file')) return [];
    this.#recordingStarted = true;
    return [this.event({ eventType: 'RECORDING_STARTED', data: { conference: conferenceJid(this.#job) } })];
  }

  onStream(status: StreamStatus): WebhookEventInput[] {
    const conference = conferenceJid(this.#job);
    if (status.status === 'connected' && !this.#streamStarted) {
      this.#streamStarted = true;
      return [this.event({ eventType: 'LIVE_STREAM_STARTED', data: { conference } })];
    }
    if (status.status === 'ended' && this.#streamStarted && !this.#streamEnded) {
      this.#streamEnded = true;
      return [
        this.event({
          eventType: 'LIVE_STREAM_ENDED',
          data: {
            conference,
            reason: status.code,
            ...(status.error ? { error: { code: status.code, message: this.#clean(status.reason) } } : {}),
          },
        }),
      ];
    }
    return [];
  }

  /** One final transcription phrase (TRANSCRIPTION_CHUNK_RECEIVED, docs/webhooks.md). */
  onPhrase(p: SessionPhrase): WebhookEventInput[] {
    const participant = { id: p.speaker.id, name: p.speaker.name, userId: '', email: '', avatarUrl: '' };
    return [
      this.event({
        eventType: 'TRANSCRIPTION_CHUNK_RECEIVED',
        data: { final: p.text, language: p.language, messageID: p.id, participant },
      }),
    ];
  }

  /**
   * The transcript was stored; `link` is the JSON transcript's pre-authenticated link. `segment`: which segment
   * it covers, on a session recorded in more than one (as RECORDING_UPLOADED says).
   */
  onTranscriptUploaded(
    link: string,
    segment?: { readonly segment: number; readonly partial: boolean; readonly reason?: string },
  ): WebhookEventInput[] {
    return [this.event({ eventType: 'TRANSCRIPTION_UPLOADED', data: { preAuthenticatedLink: link, ...segment } })];
  }

  /** At the end of an attempt. `final`: the job will not run again (so a failure is reported). */
  onEnd(result: SessionResult, final: boolean): WebhookEventInput[] {
    const conference = conferenceJid(this.#job);
    const out: WebhookEventInput[] = [];
    const failure = result.failure;
    const error = failure ? { code: failure.code, message: this.#clean(failure.message) } : undefined;
    if (this.#streamStarted && !this.#streamEnded) {
      this.#streamEnded = true;
      out.push(this.event({ eventType: 'LIVE_STREAM_ENDED', data: { conference, reason: result.reason, ...(error ? { error } : {}) } }));
    }
    if (this.#recordingStarted) {
      out.push(this.event({ eventType: 'RECORDING_ENDED', data: { conference, reason: result.reason, ...(error ? { error } : {}) } }));
    }
    if (result.status === 'failed' && final)
      out.push(...this.onFailure(failure ?? { code: 'internal', message: 'the session failed', retryable: false }));
    return out;
  }

  /** The job failed for good (also before any session ran, e.g. an output this worker cannot make). */
  /** One segment of the session could not be salvaged; the session itself goes on with the next one. */
  onSegmentLost(segment: number, message: string): WebhookEventInput[] {
    return [
      this.event({
        eventType: 'RECORDING_FAILED',
        data: {
          conference: conferenceJid(this.#job),
          mode: primaryMode(this.#kinds),
          reason: 'segment_lost',
          message: this.#clean(message),
          shouldRetry: false,
          segment,
        },
      }),
    ];
  }

  onFailure(failure: Pick<SessionFailure, 'code' | 'message' | 'retryable'>): WebhookEventInput[] {
    return [
      this.event({
        eventType: 'RECORDING_FAILED',
        data: {
          conference: conferenceJid(this.#job),
          mode: primaryMode(this.#kinds),
          reason: failure.code,
          message: this.#clean(failure.message),
          shouldRetry: failure.retryable,
        },
      }),
    ];
  }
}
