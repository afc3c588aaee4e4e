/**
 * Outputs are sinks behind one interface (Jibri sink/, Egress sink/): each names the container and target
 * it wants from the one capture (a mux leg), is started with the running capture, and finalizes its own
 * result. Which encode feeds which leg is decided once, in encode-plan.ts. A new output kind is one file and
 * one case in create-sink.ts.
 */
import type { Readable } from 'node:stream';
import type { AudioProfile, MuxLeg, VideoProfile } from '../ffmpeg/index.ts';
import type { Logger } from '../log/logger.ts';
import type { ReconnectPolicy } from './stream-policy.ts';
import type { StreamStatus, StreamSummary } from './stream-status.ts';

export type SinkSpec =
  | {
      readonly kind: 'file';
      readonly path: string;
      /** false: keep the fragmented MP4 as it is (it is being uploaded while written, byte for byte). */
      readonly remux?: boolean;
    }
  | {
      readonly kind: 'stream';
      /** rtmp(s) URL with the key: secret, never logged (see stream-url.ts). */
      readonly url: string;
      readonly youtubeBroadcastId: string | null;
    };

export type FileSinkResult = {
  readonly kind: 'file';
  readonly path: string;
  readonly sizeBytes: number;
  /** false when the crash-safe fragmented file was kept because the remux failed. */
  readonly finalized: boolean;
  readonly warning: string | null;
};

export type StreamSinkResult = { readonly kind: 'stream'; readonly summary: StreamSummary };

export type SinkResult = FileSinkResult | StreamSinkResult;

/** What a sink gets of the running capture. */
export interface SinkStartContext {
  /** The capture ffmpeg's stdout, where a `pipe:1` leg arrives; null when no leg asked for it. */
  readonly stdout: Readable | null;
}

export interface Sink {
  readonly spec: SinkSpec;
  readonly leg: MuxLeg;
  /** Called right after the capture ffmpeg was spawned (a pipe leg must be read from the first byte). */
  start(ctx: SinkStartContext): void;
  /** Called after the capture ffmpeg has exited. Never throws: problems are reported in the result. */
  finalize(signal: AbortSignal): Promise<SinkResult | null>;
  /** Processes this sink runs right now (the RTMP relay). */
  pids(): number[];
}

export interface EncodingProfile {
  readonly video: VideoProfile;
  readonly audio: AudioProfile;
}

export interface StreamSinkDeps {
  readonly policy: ReconnectPolicy;
  readonly connectTimeoutMs: number;
  readonly onStatus: (status: StreamStatus) => void;
  readonly log: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface SinkDeps {
  readonly ffmpegPath: string;
  /** Required for a stream sink. */
  readonly stream?: StreamSinkDeps;
}
