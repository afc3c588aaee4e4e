/**
 * What a recording session needs of the machine, as small interfaces: the session runs the lifecycle and
 * decides; the runtime does the side effects. real-runtime.ts wires the real parts (a scratch directory,
 * Xvfb + PulseAudio, Chromium, the capture ffmpeg and its sinks, the speech engines, files on disk); unit
 * tests pass fakes.
 */
import type { Page } from 'puppeteer-core';
import type { MeetingPage } from '../browser/meeting-page.ts';
import type { CaptureBackend, PreparedCapture } from '../capture/capture-backend.ts';
import type { RecordingPaths } from '../domain/output-naming.ts';
import type { FfmpegHandle, FfmpegProgress } from '../ffmpeg/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Sink } from '../sinks/sink.ts';
import type { StreamStatus } from '../sinks/stream-status.ts';
import type { SpeechEngine, Transcript } from '../transcription/index.ts';
import type { StreamTarget, TranscriptResult } from './session-types.ts';
import type { TranscriptionRunner, TranscriptionRunnerOptions } from './transcription-runner.ts';

export interface ScratchDirs {
  /** A new private directory for one session (Chromium's profile and sockets, the capture helpers' state). */
  create(sessionId: string): Promise<string>;
  remove(dir: string): Promise<void>;
}

/** What the session (and its monitor and transcription) use of the meeting page object. */
export type SessionPage = Pick<
  MeetingPage,
  | 'open'
  | 'waitForJoin'
  | 'snapshot'
  | 'setPresence'
  | 'announce'
  | 'participants'
  | 'participantCount'
  | 'sendJsonMessage'
  | 'leave'
  | 'startAudioTap'
  | 'stopAudioTap'
  | 'whenDead'
>;

export interface BrowserLaunch {
  readonly workDir: string;
  readonly width: number;
  readonly height: number;
  /** How the capture backend needs Chromium started. */
  readonly capture: PreparedCapture['browser'];
  /** Aborts the launch only; close() stops a launched browser. */
  readonly signal: AbortSignal;
}

export interface SessionBrowser {
  readonly pid: number | undefined;
  /** Chromium's first tab and the meeting page object on it. */
  openTab(): Promise<{ readonly tab: Page; readonly page: SessionPage }>;
  /** Called once if the browser goes away (crash, kill, close). */
  onDisconnect(listener: () => void): void;
  /** Resolves once the browser is gone. Idempotent; never rejects. */
  close(): Promise<void>;
}

export interface Browsers {
  launch(opts: BrowserLaunch): Promise<SessionBrowser>;
}

/** The capture ffmpeg as the session sees it. */
export type CaptureProcess = Pick<FfmpegHandle, 'pid' | 'exited' | 'stop' | 'stderrTail'>;

export interface CaptureStart {
  readonly capture: PreparedCapture;
  /** Every sink the one capture feeds (at least one). */
  readonly sinks: readonly Sink[];
  readonly width: number;
  readonly height: number;
  onProgress(p: FfmpegProgress): void;
}

export interface CaptureOutputs {
  fileSink(path: string, opts: { readonly remux: boolean }): Sink;
  streamSink(target: StreamTarget, opts: { readonly onStatus: (status: StreamStatus) => void; readonly log: Logger }): Sink;
  /** Spawns the capture ffmpeg with one leg per sink and starts the sinks on it. */
  startCapture(opts: CaptureStart): CaptureProcess;
}

export type SessionTranscriber = Pick<TranscriptionRunner, 'start' | 'stop' | 'phraseCount'>;

export interface Transcribers {
  /** The speech engine a request chose (absent: the deployment's); one per session, closed by the session. */
  engine(name?: string): Promise<SpeechEngine>;
  runner(opts: TranscriptionRunnerOptions): SessionTranscriber | Promise<SessionTranscriber>;
}

export interface SessionFiles {
  /** Creates a recording's directory (and its parents). */
  makeDir(dir: string): Promise<void>;
  writeMetadata(path: string, metadata: Record<string, unknown>): Promise<void>;
  /** Writes the three transcript files, creating their directory. */
  writeTranscript(transcript: Transcript, files: TranscriptResult['files']): Promise<void>;
  /** Removes what a session that recorded nothing left: its metadata file and, if then empty, its directory. */
  removeRecording(paths: RecordingPaths): Promise<void>;
}

export interface SessionRuntime {
  readonly scratch: ScratchDirs;
  /** Display and sound server (Xvfb + PulseAudio). */
  readonly capture: CaptureBackend;
  readonly browsers: Browsers;
  readonly outputs: CaptureOutputs;
  readonly transcription: Transcribers;
  readonly files: SessionFiles;
  /** Wall clock, epoch ms. */
  now(): number;
}
