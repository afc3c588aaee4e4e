/**
 * The webhook events we send: a versioned union (eventType → data) in the JaaS envelope, so receivers written
 * for 8x8 JaaS work unchanged (docs/webhooks.md).
 *
 * Versioning is additive: new event types and new optional data fields may appear; existing fields keep their
 * name, type and meaning. A breaking change would need a new event type, never a changed one.
 */

/** Bumped only when an event type or field is added; receivers ignore what they do not know. */
export const WEBHOOK_EVENTS_VERSION = 1;

export interface ConferenceData {
  /** Room JID or room name. */
  readonly conference: string;
}

/** ENDED events may say why the session ended; more fields may be added. */
export interface EndedData extends ConferenceData {
  /** Why it ended, e.g. `signal`, `empty_call`, `max_duration`, `error`. */
  readonly reason?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly [extra: string]: unknown;
}

export interface UploadParticipant {
  readonly name: string;
  readonly avatar: string;
  readonly id: string;
}

export interface RecordingUploadedData {
  readonly participants: readonly UploadParticipant[];
  /** Valid 24 h. */
  readonly preAuthenticatedLink: string;
  readonly share: boolean;
  readonly initiatorId: string;
  readonly durationSec: number;
  /** Epoch ms. */
  readonly startTimestamp: number;
  /** Epoch ms. */
  readonly endTimestamp: number;
  readonly recordingSessionId: string;
  /**
   * Ours, only on sessions recorded in more than one segment (a worker died mid-recording and another went
   * on): which segment this file is (1, 2, …), whether it was cut short (`partial`), and why (`worker_lost`).
   */
  readonly segment?: number;
  readonly partial?: boolean;
  readonly reason?: string;
}

export interface TranscriptionUploadedData {
  /** Valid 24 h. */
  readonly preAuthenticatedLink: string;
  /** Ours, as on RECORDING_UPLOADED: only on sessions recorded in more than one segment (segment, partial, reason). */
  readonly segment?: number;
  readonly partial?: boolean;
  readonly reason?: string;
}

export interface ChunkParticipant {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly email: string;
  readonly avatarUrl: string;
}

/** One final phrase. */
export interface TranscriptionChunkData {
  readonly final: string;
  readonly language: string;
  readonly messageID: string;
  readonly participant: ChunkParticipant;
}

export type FailedMode = 'file' | 'stream' | 'transcription';

/** Ours, not JaaS's: a session (or one of its outputs) failed. */
export interface RecordingFailedData extends ConferenceData {
  readonly mode: FailedMode;
  /** A machine-readable code, e.g. an ErrorCode of src/domain/errors.ts (`join_failed`, `ffmpeg_failed`). */
  readonly reason: string;
  readonly message: string;
  /** Whether starting the same request again can help. */
  readonly shouldRetry: boolean;
  /** Ours: set when one segment of a session was lost (reason `segment_lost`) while the session goes on. */
  readonly segment?: number;
}

/** eventType → data. */
export interface WebhookEventData {
  readonly RECORDING_STARTED: ConferenceData;
  readonly RECORDING_ENDED: EndedData;
  readonly LIVE_STREAM_STARTED: ConferenceData;
  readonly LIVE_STREAM_ENDED: EndedData;
  readonly RECORDING_UPLOADED: RecordingUploadedData;
  readonly TRANSCRIPTION_UPLOADED: TranscriptionUploadedData;
  readonly TRANSCRIPTION_CHUNK_RECEIVED: TranscriptionChunkData;
  readonly RECORDING_FAILED: RecordingFailedData;
}

export type WebhookEventType = keyof WebhookEventData;

export const WEBHOOK_EVENT_TYPES = [
  'RECORDING_STARTED',
  'RECORDING_ENDED',
  'LIVE_STREAM_STARTED',
  'LIVE_STREAM_ENDED',
  'RECORDING_UPLOADED',
  'TRANSCRIPTION_UPLOADED',
  'TRANSCRIPTION_CHUNK_RECEIVED',
  'RECORDING_FAILED',
] as const satisfies readonly WebhookEventType[];

/** What a publisher supplies; the envelope's other fields are filled in by buildEnvelope. */
export type WebhookEventInput = {
  readonly [E in WebhookEventType]: {
    readonly eventType: E;
    readonly data: WebhookEventData[E];
    /** The meeting session. */
    readonly sessionId: string;
    /** Room name, for `fqn`. */
    readonly room: string;
    /** The tenant (token `sub`); null or absent: the configured default. */
    readonly appId?: string | null;
    /** When it happened (epoch ms); absent: now. */
    readonly timestampMs?: number;
  };
}[WebhookEventType];

/** The JSON body of every POST. */
export type WebhookEnvelope = {
  readonly [E in WebhookEventType]: {
    /** UUID; the same on every retry of one event. */
    readonly idempotencyKey: string;
    readonly customerId: string;
    readonly appId: string;
    readonly eventType: E;
    readonly sessionId: string;
    /** Epoch ms; receivers order by it (delivery order is not guaranteed). */
    readonly timestamp: number;
    /** `<appId>/<room>`. */
    readonly fqn: string;
    readonly data: WebhookEventData[E];
  };
}[WebhookEventType];

export interface EnvelopeContext {
  readonly newId: () => string;
  readonly now: () => number;
  readonly defaultAppId: string;
  readonly customerId: string;
}

/** Pure: the envelope of one event (field order as in the JaaS documentation). */
export function buildEnvelope(input: WebhookEventInput, ctx: EnvelopeContext): WebhookEnvelope {
  const appId = input.appId !== undefined && input.appId !== null && input.appId !== '' ? input.appId : ctx.defaultAppId;
  // The input's union already pairs eventType with its data; TypeScript cannot follow that pairing through
  // the object literal, hence the assertion.
  return {
    idempotencyKey: ctx.newId(),
    customerId: ctx.customerId,
    appId,
    eventType: input.eventType,
    sessionId: input.sessionId,
    timestamp: input.timestampMs ?? ctx.now(),
    fqn: `${appId}/${input.room}`,
    data: input.data,
  } as WebhookEnvelope;
}
