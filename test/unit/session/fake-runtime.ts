/**
 * A session runtime of fakes: every acquire and release lands in `calls`, in order; any step can be held
 * (`hold`) until the test lets it go or the session's stop signal aborts it, and any step can be made to fail.
 */
import type { Page } from 'puppeteer-core';
import type { PreparedCapture } from '../../../src/capture/capture-backend.ts';
import type { FfmpegExit, FfmpegProgress, MuxLeg } from '../../../src/ffmpeg/index.ts';
import type { ProbeSnapshot } from '../../../src/browser/probe-snapshot.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import type { StreamStatus, StreamSummary } from '../../../src/sinks/stream-status.ts';
import type { CaptureProcess, SessionBrowser, SessionPage, SessionRuntime } from '../../../src/session/session-runtime.ts';
import type { TranscriptionRunnerOptions } from '../../../src/session/transcription-runner.ts';
import type { SpeechEngine, Transcript } from '../../../src/transcription/index.ts';

/** Steps a test can hold or fail. */
export type FakeStep = 'prepare' | 'launch' | 'openTab' | 'open' | 'join' | 'frame' | 'engine' | 'runner.start';

/** Release steps a test can make throw. */
export type FakeRelease =
  | 'ffmpeg.stop'
  | 'stream.finalize'
  | 'runner.stop'
  | 'engine.close'
  | 'page.participants'
  | 'page.leave'
  | 'browser.close'
  | 'capture.close'
  | 'file.finalize'
  | 'files.writeMetadata'
  | 'scratch.remove';

export interface FakeOptions {
  /** Held until release(step) or the stop signal (when `abortable`). */
  readonly hold?: readonly FakeStep[];
  /** A held step still completes when the stop signal aborts (a step that cannot be cut short). */
  readonly ignoresAbort?: boolean;
  readonly failStep?: { readonly step: FakeStep; readonly error: Error };
  readonly failRelease?: readonly FakeRelease[];
  readonly snapshot?: Partial<ProbeSnapshot>;
}

/** Every resource the fakes hand out, and the call that gives it back. */
export const RELEASE_OF: Readonly<Record<string, string>> = {
  'scratch.create': 'scratch.remove',
  'capture.prepared': 'capture.close',
  'browser.launched': 'browser.close',
  'page.created': 'page.leave',
  'file.sink': 'file.finalize',
  'stream.sink': 'stream.finalize',
  'ffmpeg.start': 'ffmpeg.stop',
  'engine.created': 'engine.close',
  'runner.created': 'runner.stop',
};

interface Held {
  reached: Promise<void>;
  arrive(): void;
  release(): void;
  released: Promise<void>;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class FakeRuntime {
  readonly calls: string[] = [];
  readonly metadata: Record<string, unknown>[] = [];
  readonly presence: Record<string, string>[] = [];
  /** The stream sink's status callback, once the session made the sink. */
  streamStatus: ((status: StreamStatus) => void) | null = null;
  /** The runner's options, once the session made it. */
  runnerOptions: TranscriptionRunnerOptions | null = null;
  readonly #o: FakeOptions;
  readonly #held = new Map<FakeStep, Held>();
  #progress: ((p: FfmpegProgress) => void) | null = null;

  constructor(o: FakeOptions = {}) {
    this.#o = o;
    for (const step of o.hold ?? []) {
      const reached = deferred();
      const released = deferred();
      this.#held.set(step, { reached: reached.promise, arrive: reached.resolve, released: released.promise, release: released.resolve });
    }
  }

  /** Resolves when the session reached a held step. */
  reached(step: FakeStep): Promise<void> {
    return this.#held.get(step)!.reached;
  }

  release(step: FakeStep): void {
    this.#held.get(step)!.release();
  }

  /** Steps acquired and never given back. */
  leaks(): string[] {
    return Object.entries(RELEASE_OF)
      .filter(([acquire, release]) => this.calls.includes(acquire) && this.calls.indexOf(release) < this.calls.indexOf(acquire))
      .map(([acquire]) => acquire);
  }

  async #step(step: FakeStep, signal?: AbortSignal): Promise<void> {
    this.calls.push(step);
    const held = this.#held.get(step);
    if (held) {
      held.arrive();
      await new Promise<void>((resolve, reject) => {
        void held.released.then(resolve);
        signal?.addEventListener('abort', () => (this.#o.ignoresAbort ? resolve() : reject(new Error(`${step} aborted`))), { once: true });
      });
    }
    if (this.#o.failStep?.step === step) throw this.#o.failStep.error;
  }

  #release(name: FakeRelease): void {
    this.calls.push(name);
    if (this.#o.failRelease?.includes(name)) throw new Error(`${name} broke`);
  }

  #sink(kind: 'file' | 'stream', path: string): Sink {
    const summary: StreamSummary = {
      target: 'rtmp://live.example.com/app/***',
      liveViewUrl: null,
      attempts: 1,
      connects: 1,
      connectedSec: 3,
      end: { status: 'ended', code: 'stopped', reason: 'the session stopped', error: false, retryable: false },
    };
    return {
      spec: kind === 'file' ? { kind, path } : { kind, url: path, youtubeBroadcastId: null },
      leg: {} as MuxLeg,
      start: () => void this.calls.push(`${kind}.start`),
      finalize: async () => {
        this.#release(`${kind}.finalize`);
        return kind === 'file' ? { kind, path, sizeBytes: 1234, finalized: true, warning: null } : { kind, summary };
      },
      pids: () => (kind === 'stream' ? [303] : []),
    };
  }

  #page(): SessionPage {
    const snapshot: ProbeSnapshot = {
      joined: true,
      participantCount: 3,
      downloadKbps: 1000,
      iceConnected: true,
      allMuted: false,
      e2ee: false,
      pageResponsive: true,
      ...this.#o.snapshot,
    };
    const participants = [
      { id: 'a', name: 'Alice', hiddenFromRecorder: false },
      { id: 'h', name: 'Hidden', hiddenFromRecorder: true },
    ];
    const page = {
      open: async (_url: string, opts?: { signal?: AbortSignal }) => this.#step('open', opts?.signal),
      waitForJoin: async (opts?: { signal?: AbortSignal }) => this.#step('join', opts?.signal),
      snapshot: async () => snapshot,
      setPresence: async (tags: Record<string, string>) => {
        this.presence.push(tags);
        return true;
      },
      announce: async () => true,
      // Once while joining, once in teardown (the monitor's poll comes after 5 s, later than these tests stop).
      participants: async () => {
        if (this.calls.includes('page.participants')) this.#release('page.participants');
        else this.calls.push('page.participants');
        return participants;
      },
      participantCount: async () => 3,
      sendJsonMessage: async () => true,
      leave: async () => {
        this.#release('page.leave');
        return true;
      },
      startAudioTap: async () => ({ ok: true }),
      stopAudioTap: async () => true,
      whenDead: () => new Promise(() => {}),
    };
    return page as unknown as SessionPage;
  }

  runtime(): SessionRuntime {
    const prepared: PreparedCapture = {
      browser: { env: {}, headless: true, kiosk: false },
      ffmpegInputs: [],
      ffmpegEnv: {},
      pulseSource: 'scriba.monitor',
      helperPids: [101],
      helperDied: new Promise(() => {}),
      close: async () => this.#release('capture.close'),
    };
    const browser: SessionBrowser = {
      pid: 202,
      openTab: async () => {
        await this.#step('openTab');
        this.calls.push('page.created');
        return { tab: {} as Page, page: this.#page() };
      },
      onDisconnect: () => {},
      close: async () => this.#release('browser.close'),
    };
    const exit = (): FfmpegExit => ({
      code: 255,
      signal: null,
      stoppedByUs: true,
      lastError: null,
      lastProgress: progress(150),
      stderrTail: [],
    });
    return {
      scratch: {
        create: async () => {
          this.calls.push('scratch.create');
          return '/work/s1-abc';
        },
        remove: async () => this.#release('scratch.remove'),
      },
      capture: {
        name: 'fake',
        prepare: async (_spec, _dir, signal) => {
          await this.#step('prepare', signal);
          this.calls.push('capture.prepared');
          return prepared;
        },
      },
      browsers: {
        launch: async (l) => {
          await this.#step('launch', l.signal);
          this.calls.push('browser.launched');
          return browser;
        },
      },
      outputs: {
        fileSink: (path) => {
          this.calls.push('file.sink');
          return this.#sink('file', path);
        },
        streamSink: (target, { onStatus }) => {
          this.calls.push('stream.sink');
          this.streamStatus = onStatus;
          return this.#sink('stream', target.url);
        },
        startCapture: ({ sinks, onProgress }): CaptureProcess => {
          this.calls.push('ffmpeg.start');
          for (const sink of sinks) sink.start({ stdout: null });
          this.#progress = onProgress;
          let exited: (e: FfmpegExit) => void = () => {};
          const done = new Promise<FfmpegExit>((resolve) => (exited = resolve));
          void this.#step('frame').then(() => this.#progress?.(progress(1)));
          return {
            pid: 404,
            exited: done,
            stop: async () => {
              this.#release('ffmpeg.stop');
              exited(exit());
              return exit();
            },
            stderrTail: () => [],
          };
        },
      },
      transcription: {
        engine: async () => {
          await this.#step('engine');
          this.calls.push('engine.created');
          return {
            name: 'fake',
            start: () => {
              throw new Error('not used');
            },
            close: async () => this.#release('engine.close'),
          } as SpeechEngine;
        },
        runner: (opts) => {
          this.calls.push('runner.created');
          this.runnerOptions = opts;
          return {
            start: async () => {
              await this.#step('runner.start');
              opts.onPhrase?.({
                speaker: { id: 'a', name: 'Alice' },
                streamOffsetSec: 0,
                result: { final: true, text: 'hello', confidence: 0.9, startSec: 1, endSec: 2 },
              });
              return true;
            },
            stop: async () => {
              this.#release('runner.stop');
              return {} as Transcript;
            },
            phraseCount: 1,
          };
        },
      },
      files: {
        makeDir: async () => void this.calls.push('files.makeDir'),
        writeMetadata: async (_path, metadata) => {
          this.#release('files.writeMetadata');
          this.metadata.push(metadata);
        },
        writeTranscript: async () => void this.calls.push('files.writeTranscript'),
        removeRecording: async () => void this.calls.push('files.removeRecording'),
      },
      now: Date.now,
    };
  }
}

function progress(frame: number): FfmpegProgress {
  return { kind: 'progress', frame, fps: 30, sizeKb: frame, timeSec: frame / 30, bitrateKbps: 1000, dup: 0, drop: 0, speed: 1 };
}
