/** What a recording session is asked to do, and what it reports back. */
import type { RecorderLogin } from '../browser/meeting-url.ts';
import type { MeetingTarget } from '../domain/meeting-target.ts';
import type { JobOutput } from '../domain/job-request.ts';
import type { SessionFailure, SessionState, StopReason } from '../domain/session-state.ts';
import type { FileSinkResult } from '../sinks/sink.ts';
import type { StreamStatus, StreamSummary } from '../sinks/stream-status.ts';

export type { StreamEnd, StreamEndCode, StreamStatus, StreamSummary } from '../sinks/stream-status.ts';

export interface RecordingRequest {
  readonly sessionId: string;
  readonly target: MeetingTarget;
  readonly login: RecorderLogin | null;
  readonly roomPassword: string | null;
  /** The capture's size: the file output's resolution when there is one, else the deployment's (or the CLI's). */
  readonly resolution: '720p' | '1080p';
  readonly maxDurationSec: number;
  /**
   * What the session produces, from one capture: a crash-safe MP4, a live stream (its URL holds the key:
   * secret, never logged), a transcript. Build with sessionOutputs(). Without a file and a stream, no video is
   * captured at all.
   */
  readonly outputs: SessionOutputs;
  /** The file is uploaded while it is written: keep it fragmented at the end (no remux). */
  readonly uploadWhileRecording?: boolean;
  /** app_data.file_recording_metadata: copied to the top level of metadata.json; may hold secrets. */
  readonly fileRecordingMetadata: Readonly<Record<string, unknown>>;
  /**
   * Set when this recording continues a session whose earlier worker died (segment 2, 3, …): metadata.json
   * names the segment and how the earlier ones ended.
   */
  readonly segments?: { readonly segment: number; readonly earlier: readonly unknown[] } | null;
}

/** A job's outputs as a session takes them: non-empty, at most one of each kind (sessionOutputs() checks). */
export type SessionOutputs = readonly [JobOutput, ...JobOutput[]];

export type FileOutput = Extract<JobOutput, { kind: 'file' }>;
export type StreamOutput = Extract<JobOutput, { kind: 'stream' }>;
export type TranscriptionOutput = Extract<JobOutput, { kind: 'transcription' }>;

/** A transcription output without its kind: language (BCP-47) and the engine the request chose, if any. */
export type TranscriptionTarget = Omit<TranscriptionOutput, 'kind'>;

/** One final phrase, as the session emits it ('phrase' event). Times: seconds on the recording's timeline. */
export interface SessionPhrase {
  /** Unique within the session (webhooks' messageID). */
  readonly id: string;
  readonly speaker: { readonly id: string; readonly name: string };
  readonly startSec: number;
  readonly endSec: number;
  readonly text: string;
  readonly confidence: number | null;
  readonly language: string;
}

export interface TranscriptResult {
  /** Absolute paths of the transcript files, next to the recording. */
  readonly files: { readonly json: string; readonly txt: string; readonly vtt: string };
  readonly phrases: number;
}

export interface StreamTarget {
  /** rtmp:// or rtmps:// URL including the key (already checked: resolveStreamTarget). */
  readonly url: string;
  readonly youtubeBroadcastId: string | null;
}

export interface ParticipantInfo {
  readonly id: string;
  readonly name: string | null;
}

export interface SessionProgress {
  readonly elapsedSec: number;
  readonly fps: number;
  readonly bitrateKbps: number | null;
  readonly sizeBytes: number;
  readonly dup: number;
  readonly drop: number;
}

export interface SessionResult {
  readonly sessionId: string;
  readonly status: 'finished' | 'failed';
  readonly reason: StopReason;
  readonly failure: SessionFailure | null;
  readonly file: FileSinkResult | null;
  readonly metadataFile: string | null;
  /** The live stream's outcome (target redacted), null when none was asked for. */
  readonly stream: StreamSummary | null;
  /** Seconds of media captured (from capture start to stop). */
  readonly durationSec: number;
  readonly startedAt: string | null;
  readonly endedAt: string;
  readonly participants: readonly ParticipantInfo[];
  /** The transcript's files, or null when none was asked for (or it could not be written). */
  readonly transcript: TranscriptResult | null;
}

/** Typed session events (event name → payload). */
export interface SessionEvents {
  state: [SessionState];
  progress: [SessionProgress];
  stream: [StreamStatus];
  /** The recording file exists and grows from now on (ffmpeg started writing it). */
  file: [{ readonly path: string }];
  /** A final transcription phrase, as soon as the engine gives it. */
  phrase: [SessionPhrase];
}
