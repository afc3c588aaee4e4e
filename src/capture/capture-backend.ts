/**
 * How a session gets the page's picture and sound into ffmpeg. A backend prepares the per-session
 * environment (display, sound server), tells the browser launcher how to start Chromium in it, and gives
 * the ffmpeg inputs that read it back.
 */
import type { FfmpegCommandSpec } from '../ffmpeg/index.ts';

export interface CaptureSpec {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Measured capture A/V offset to correct (see docs/capture.md): positive = audio arrives late. */
  readonly audioOffsetMs: number;
}

export interface PreparedCapture {
  /** How Chromium must be started for this backend. */
  readonly browser: { readonly env: NodeJS.ProcessEnv; readonly headless: boolean; readonly kiosk: boolean };
  readonly ffmpegInputs: FfmpegCommandSpec['inputs'];
  readonly ffmpegEnv: NodeJS.ProcessEnv;
  /** The PulseAudio source with the page's sound (read with ffmpegEnv): the transcription's mixed-audio fallback. */
  readonly pulseSource?: string;
  /** pids of helper processes (for tests and diagnostics). */
  readonly helperPids: readonly number[];
  /** Resolves when a helper dies unexpectedly, with its name and output. */
  readonly helperDied: Promise<string>;
  close(): Promise<void>;
}

export interface CaptureBackend {
  readonly name: string;
  prepare(spec: CaptureSpec, workDir: string, signal: AbortSignal): Promise<PreparedCapture>;
}
