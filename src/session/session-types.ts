/** What a recording session is asked to do, and what it reports back. */
import type { MeetingTarget, RecorderLogin } from '../browser/meeting-url.ts';
import type { SessionFailure, SessionState, StopReason } from '../domain/session-state.ts';
import type { FileSinkResult } from '../sinks/sink.ts';
import type { StreamStatus, StreamSummary } from '../sinks/stream-status.ts';

export type { StreamEnd, StreamEndCode, StreamStatus, StreamSummary } from '../sinks/stream-status.ts';

export interface RecordingRequest {
  readonly sessionId: string;
  readonly target: MeetingTarget;
  readonly login: RecorderLogin | null;
  readonly roomPassword: string | null;
  readonly resolution: '720p' | '1080p';
  readonly maxDurationSec: number;
  /** Record to a crash-safe MP4 (false: stream only). */
  readonly recordFile: boolean;
  /** Live stream target, or null. The URL holds the stream key: secret, never logged. */
  readonly stream: StreamTarget | null;
  /** The file is uploaded while it is written: keep it fragmented at the end (no remux). */
  readonly uploadWhileRecording?: boolean;
  /** app_data.file_recording_metadata: copied to the top level of metadata.json; may hold secrets. */
  readonly fileRecordingMetadata: Readonly<Record<string, unknown>>;
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
}

/** Typed session events (event name → payload). */
export interface SessionEvents {
  state: [SessionState];
  progress: [SessionProgress];
  stream: [StreamStatus];
  /** The recording file exists and grows from now on (ffmpeg started writing it). */
  file: [{ readonly path: string }];
}
