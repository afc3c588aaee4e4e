/**
 * Outputs are sinks behind one interface (Jibri sink/, Egress sink/): each adds ffmpeg outputs to the one
 * capture and finalizes its own result. A new output kind is one file and one case below.
 */
import type { AudioProfile, FfmpegCommandSpec, VideoProfile } from '../ffmpeg/index.ts';
import { createFileSink } from './file-sink.ts';

export type SinkSpec = { readonly kind: 'file'; readonly path: string };

export type SinkResult = {
  readonly kind: 'file';
  readonly path: string;
  readonly sizeBytes: number;
  /** false when the crash-safe fragmented file was kept because the remux failed. */
  readonly finalized: boolean;
  readonly warning: string | null;
};

export interface Sink {
  readonly spec: SinkSpec;
  readonly outputs: FfmpegCommandSpec['outputs'];
  /** Called after ffmpeg has exited. Never throws: problems are reported in the result. */
  finalize(signal: AbortSignal): Promise<SinkResult | null>;
}

export interface EncodingProfile {
  readonly video: VideoProfile;
  readonly audio: AudioProfile;
}

export interface SinkDeps {
  readonly ffmpegPath: string;
}

export function createSink(spec: SinkSpec, profile: EncodingProfile, deps: SinkDeps): Sink {
  switch (spec.kind) {
    case 'file':
      return createFileSink(spec, profile, deps);
    default: {
      const unreachable: never = spec.kind;
      throw new Error(`unknown sink kind ${String(unreachable)}`);
    }
  }
}
