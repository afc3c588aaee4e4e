/**
 * One recording session: prepare → launch → join → capture → stop → finalize. The lifecycle lives in the
 * pure reducer (domain/session-state.ts); this class performs the side effects, in order, and always runs
 * every cleanup (ffmpeg is stopped first so the file is finished before anything else is torn down).
 */
import { markScratchOwner } from '../capture/scratch-sweep.ts';
import { scrubSecrets, sessionSecrets } from '../log/session-secrets.ts';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Page } from 'puppeteer-core';
import { launchBrowser, type LaunchedBrowser } from '../browser/launch.ts';
import { buildMeetingUrl } from '../browser/meeting-url.ts';
import { MeetingPage } from '../browser/meeting-page.ts';
import type { CaptureBackend, PreparedCapture } from '../capture/capture-backend.ts';
import { sessionDirs } from '../capture/session-env.ts';
import { RESOLUTIONS, type ScribaConfig } from '../config/config.ts';
import { ScribaError, toScribaError } from '../domain/errors.ts';
import { recordingPaths, sanitizeSessionId, type RecordingPaths } from '../domain/output-naming.ts';
import {
  INITIAL_SESSION_STATE,
  reduceSession,
  type SessionEvent,
  type SessionFailure,
  type SessionState,
  type StopReason,
} from '../domain/session-state.ts';
import { inputStartEpochMs } from '../ffmpeg/input-start.ts';
import { buildCaptureCommand, startFfmpeg, type FfmpegHandle, type FfmpegProgress } from '../ffmpeg/index.ts';
import { sessionLogger, type Logger } from '../log/logger.ts';
import { fileEncodingProfile, planCaptureOutputs, streamEncodingProfile } from '../sinks/encode-plan.ts';
import { createSink, type FileSinkResult, type Sink } from '../sinks/sink.ts';
import { redactStreamUrl, youtubeLiveViewUrl } from '../sinks/stream-url.ts';
import { pause, withTimeout } from './abortable.ts';
import { monitorSession } from './monitor.ts';
import { buildMetadata, writeMetadata } from './metadata.ts';
import { notStartedEnd, notStartedSummary, reconnectPolicy, streamSessionFailure } from './session-stream.ts';
import type {
  ParticipantInfo,
  RecordingRequest,
  SessionEvents,
  SessionResult,
  StreamStatus,
  StreamSummary,
  TranscriptResult,
} from './session-types.ts';
import type { SpeechEngine } from '../transcription/index.ts';
import { transcriptionResultMessage } from './subtitle-message.ts';
import { transcriptFiles } from './transcript-phrase.ts';
import { writeTranscriptFiles } from './transcript-writer.ts';
import { TranscriptionRunner } from './transcription-runner.ts';

export interface SessionDeps {
  readonly config: ScribaConfig;
  readonly backend: CaptureBackend;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Builds the speech engine of a session that transcribes (workers/recorder.ts: from config.transcription). */
  readonly speechEngine?: (engine?: string) => SpeechEngine | Promise<SpeechEngine>;
}

/** Everything acquired while starting, released in reverse order. */
interface Acquired {
  workDir?: string;
  capture?: PreparedCapture;
  browser?: LaunchedBrowser;
  page?: MeetingPage;
  tab?: Page;
  paths?: RecordingPaths;
  fileSink?: Sink;
  streamSink?: Sink;
  stream?: StreamSummary;
  ffmpeg?: FfmpegHandle;
  captureStartedAtMs?: number;
  captureStoppedAtMs?: number;
  /** Seconds of media written, from ffmpeg's last progress line. */
  mediaDurationSec?: number;
  engine?: SpeechEngine;
  transcription?: TranscriptionRunner;
  /** Where the transcript files go (named like the recording, next to it). */
  transcriptFiles?: TranscriptResult['files'];
  transcript?: TranscriptResult;
}

/** A failure as it leaves the session (CLI output, queue, webhooks): its message scrubbed of the session's secrets. */
function failureOf(err: unknown, secrets: readonly string[]): SessionFailure {
  const e = toScribaError(err);
  return { code: e.code, message: scrubSecrets(e.message, secrets), scope: e.scope, retryable: e.retryable };
}

function secretsOf(request: RecordingRequest): string[] {
  return sessionSecrets({
    target: request.target,
    roomPassword: request.roomPassword,
    login: request.login,
    streamUrls: request.stream ? [request.stream.url] : [],
    metadata: request.fileRecordingMetadata,
  });
}

export class RecordingSession {
  readonly id: string;
  readonly request: RecordingRequest;
  readonly #deps: SessionDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #events = new EventEmitter<SessionEvents>();
  /** Aborted with the StopReason when the session must stop; every start step listens to it. */
  readonly #stop = new AbortController();
  readonly #participants = new Map<string, ParticipantInfo>();
  #state: SessionState = INITIAL_SESSION_STATE;
  #run: Promise<SessionResult> | null = null;
  #acquired: Acquired = {};
  readonly #progressListeners = new Set<(p: FfmpegProgress) => void>();
  readonly #transcriptionAbort = new AbortController();

  constructor(request: RecordingRequest, deps: SessionDeps) {
    this.id = request.sessionId;
    this.request = request;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#log = sessionLogger(deps.logger, request.sessionId, request.target.room);
  }

  get state(): SessionState {
    return this.#state;
  }

  on<K extends keyof SessionEvents>(event: K, listener: (...args: SessionEvents[K]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }

  /** pids of every process this session started that may still run (tests check none survive). */
  pids(): number[] {
    const a = this.#acquired;
    return [...(a.capture?.helperPids ?? []), a.browser?.pid, a.ffmpeg?.pid, ...(a.streamSink?.pids() ?? [])].filter(
      (p): p is number => typeof p === 'number',
    );
  }

  /** The meeting tab while the session runs (diagnostics and tests: screenshots, what the page received). */
  inspectPage(): Page | null {
    return this.#acquired.tab ?? null;
  }

  /** Ask the session to stop; the recording is finished and finalized. Safe to call at any time, repeatedly. */
  stop(reason: Exclude<StopReason, 'error'> = 'requested'): void {
    if (this.#stop.signal.aborted) return;
    this.#dispatch({ type: 'stop', reason });
    this.#stop.abort(reason);
  }

  /** Runs the whole session once; calling again returns the same promise. An abort of signal = stop(). */
  run(signal?: AbortSignal): Promise<SessionResult> {
    if (signal) {
      if (signal.aborted) this.stop();
      else signal.addEventListener('abort', () => this.stop(), { once: true });
    }
    this.#run ??= this.#lifecycle();
    return this.#run;
  }

  #dispatch(event: SessionEvent): void {
    const next = reduceSession(this.#state, event);
    if (next === this.#state) return;
    this.#state = next;
    this.#log.info({ state: next }, `session ${next.status}${next.status === 'starting' ? ` (${next.step})` : ''}`);
    this.#events.emit('state', next);
  }

  #fail(err: unknown): void {
    if (this.#stop.signal.aborted && this.#stop.signal.reason !== 'error') {
      // A stop during start makes the step in progress throw (abort, closed page): that is not a failure.
      this.#log.debug({ err }, 'start step interrupted by stop');
      return;
    }
    const failure = failureOf(err, secretsOf(this.request));
    this.#log.error({ failure }, `session failed: ${failure.message}`);
    this.#dispatch({ type: 'error', failure });
    if (!this.#stop.signal.aborted) this.#stop.abort('error');
  }

  async #lifecycle(): Promise<SessionResult> {
    const startedAtMs = this.#now();
    try {
      await this.#start();
      await monitorSession({
        config: this.#deps.config,
        maxDurationMs: this.request.maxDurationSec * 1000,
        page: this.#acquired.page!,
        ffmpeg: this.#acquired.ffmpeg ?? null,
        capture: this.#acquired.capture!,
        browser: this.#acquired.browser!,
        captureStartedAtMs: this.#acquired.captureStartedAtMs!,
        stopSignal: this.#stop.signal,
        subscribeProgress: (listener) => {
          this.#progressListeners.add(listener);
          return () => this.#progressListeners.delete(listener);
        },
        now: this.#now,
        log: this.#log,
        onParticipants: (list) => this.#recordParticipants(list),
        onStop: (reason) => this.stop(reason),
        onProgress: (p) => this.#events.emit('progress', p),
      });
    } catch (err) {
      this.#fail(err);
    }
    // Reaching here means stop was requested or something failed: make sure the state says so.
    if (this.#state.status === 'running' || this.#state.status === 'starting') this.stop('requested');
    const file = await this.#teardown();
    this.#dispatch({ type: 'finalized' });
    return this.#result(file, startedAtMs);
  }

  async #start(): Promise<void> {
    const { config, backend } = this.#deps;
    const stop = this.#stop.signal;
    const a = this.#acquired;
    const { width, height } = RESOLUTIONS[this.request.resolution];
    if (!this.request.recordFile && this.request.stream === null && this.request.transcription === null) {
      throw new ScribaError('invalid_request', 'nothing to do: the request asks for neither a file, a stream nor a transcription');
    }
    if (this.request.transcription !== null && !this.#deps.speechEngine) {
      throw new ScribaError('invalid_request', 'this worker has no speech engine configured: it cannot transcribe');
    }

    await mkdir(config.workDir, { recursive: true, mode: 0o700 });
    // Short on purpose: Chromium's singleton socket lives below this directory, and a Unix socket path has at
    // most 107 bytes (a 36-character session id here made Chromium abort at start).
    a.workDir = await mkdtemp(`${config.workDir}/${sanitizeSessionId(this.id).slice(0, 8)}-`);
    await markScratchOwner(a.workDir);
    stop.throwIfAborted();
    a.capture = await backend.prepare(
      { width, height, fps: config.capture.fps, audioOffsetMs: config.capture.audioOffsetMs },
      a.workDir,
      stop,
    );

    this.#dispatch({ type: 'step', step: 'launching' });
    stop.throwIfAborted();
    a.browser = await launchBrowser({
      executablePath: config.chromiumPath,
      userDataDir: sessionDirs(a.workDir).profile,
      width,
      height,
      headless: a.capture.browser.headless,
      kiosk: a.capture.browser.kiosk,
      env: a.capture.browser.env,
      extraArgs: config.chromiumExtraArgs,
      signal: stop,
    });

    this.#dispatch({ type: 'step', step: 'joining' });
    a.tab = await a.browser.firstPage();
    a.page = await MeetingPage.create(a.tab);
    const { meeting } = config;
    const url = buildMeetingUrl(
      this.request.target,
      this.request.login,
      { displayName: meeting.displayName, email: meeting.email },
      this.request.roomPassword,
    );
    await a.page.open(url, { signal: stop, timeoutMs: meeting.pageLoadTimeoutSec * 1000 });
    await a.page.waitForJoin({ signal: stop, timeoutMs: meeting.joinTimeoutSec * 1000 });
    const first = await a.page.snapshot({ timeoutMs: 5000 });
    if (first.e2ee === true) {
      throw new ScribaError(
        'e2ee_not_supported',
        'the meeting uses end-to-end encryption: a recorder would only capture undecryptable media, so it was not recorded',
      );
    }
    // Presence tags as Jibri sets them; Meet shows the recording state from the focus and these.
    // Jibri's modes are FILE and STREAM only; a transcription-only session claims neither.
    const mode = this.request.recordFile ? 'FILE' : this.request.stream !== null ? 'STREAM' : null;
    await a.page.setPresence({ session_id: this.id, ...(mode ? { mode } : {}) });
    // Everyone must learn the meeting is recorded, whoever started it (Jicofo is not involved here).
    if (meeting.recordingNotice && !(await a.page.announce(meeting.recordingNotice))) {
      this.#log.warn('could not post the recording notice in the meeting chat');
    }
    this.#recordParticipants(await a.page.participants());

    this.#dispatch({ type: 'step', step: 'capturing' });
    stop.throwIfAborted();
    await this.#startCapture(width, height);
  }

  async #startCapture(width: number, height: number): Promise<void> {
    const { config } = this.#deps;
    const a = this.#acquired;
    if (this.request.recordFile) {
      a.paths = recordingPaths(config.recordingsDir, this.id, this.request.target.room, new Date(this.#now()));
      await mkdir(a.paths.sessionDir, { recursive: true, mode: 0o750 });
      a.fileSink = createSink(
        { kind: 'file', path: a.paths.mediaFile, remux: this.request.uploadWhileRecording !== true },
        { ffmpegPath: config.ffmpegPath },
      );
    }
    const stream = this.request.stream;
    if (stream !== null) {
      a.streamSink = createSink(
        { kind: 'stream', url: stream.url, youtubeBroadcastId: stream.youtubeBroadcastId },
        {
          ffmpegPath: config.ffmpegPath,
          stream: {
            policy: reconnectPolicy(config),
            connectTimeoutMs: config.stream.connectTimeoutSec * 1000,
            onStatus: (status) => this.#onStreamStatus(status),
            log: this.#log,
            now: this.#now,
          },
        },
      );
    }
    const sinks = [a.fileSink, a.streamSink].filter((sink): sink is Sink => sink !== undefined);
    if (sinks.length === 0) {
      // Transcription only: no video capture and no encoding at all; the tap reads the page's WebRTC audio.
      a.captureStartedAtMs = this.#now();
      this.#dispatch({ type: 'capture_started', atMs: a.captureStartedAtMs });
      await this.#startTranscription();
      return;
    }
    const outputs = planCaptureOutputs({
      legs: sinks.map((sink) => ({ kind: sink.spec.kind, leg: sink.leg })),
      file: fileEncodingProfile(config, width, height),
      stream: streamEncodingProfile(config, width, height),
      shareEncode: config.stream.shareEncode,
    });
    let firstFrame: () => void = () => {};
    const framed = new Promise<void>((resolve) => (firstFrame = resolve));
    const spawnedAtMs = this.#now();
    a.ffmpeg = startFfmpeg(buildCaptureCommand({ inputs: a.capture!.ffmpegInputs, outputs }), {
      env: a.capture!.ffmpegEnv,
      ffmpegPath: config.ffmpegPath,
      killGraceMs: config.stopGraceSec * 1000,
      // The stream leg comes out on stdout (mpegtsPipeLeg); the stream sink reads it from the first byte.
      ...(a.streamSink ? { stdout: 'pipe' as const } : {}),
      onProgress: (p) => {
        if (p.frame > 0) firstFrame();
        for (const listener of this.#progressListeners) listener(p);
      },
    });
    for (const sink of sinks) sink.start({ stdout: a.ffmpeg.stdout });
    if (a.paths) this.#events.emit('file', { path: a.paths.mediaFile });
    const outcome = await Promise.race([
      framed.then(() => 'ok' as const),
      a.ffmpeg.exited.then((exit) => exit),
      pause(15_000, this.#stop.signal).then(() => 'timeout' as const),
    ]);
    if (outcome === 'timeout') {
      this.#stop.signal.throwIfAborted();
      throw new ScribaError('capture_failed', 'ffmpeg produced no frame within 15 s', { retryable: true });
    }
    if (outcome !== 'ok') {
      throw new ScribaError('capture_failed', `ffmpeg exited before capturing: ${outcome.lastError ?? `exit ${outcome.code}`}`, {
        retryable: true,
      });
    }
    // The file's zero is the video input's first packet, which ffmpeg stamped with the wall clock; the first
    // progress line comes up to ~1 s later. Captions need the former (0.5 s budget); fall back to now.
    const now = this.#now();
    const fileZero = inputStartEpochMs(a.ffmpeg.stderrTail());
    a.captureStartedAtMs = fileZero !== null && fileZero >= spawnedAtMs - 1000 && fileZero <= now ? fileZero : now;
    this.#dispatch({ type: 'capture_started', atMs: a.captureStartedAtMs });
    await this.#writeMetadata('recording', null);
    await this.#startTranscription();
  }

  /** After capture started (its clock is the transcript's): the tap and one speech stream per participant. */
  async #startTranscription(): Promise<void> {
    const target = this.request.transcription;
    const a = this.#acquired;
    if (target === null || !this.#deps.speechEngine) return;
    const startedAt = a.captureStartedAtMs!;
    const media =
      a.paths?.mediaFile ??
      recordingPaths(this.#deps.config.recordingsDir, this.id, this.request.target.room, new Date(startedAt)).mediaFile;
    a.transcriptFiles = transcriptFiles(media);
    a.engine = await this.#deps.speechEngine(target.engine);
    a.transcription = new TranscriptionRunner({
      page: a.page!,
      captureStartedAtMs: startedAt,
      engine: a.engine,
      language: target.language,
      room: this.request.target.room,
      // Only teardown cancels it hard; a stop flushes it (stop()).
      signal: this.#transcriptionAbort.signal,
      log: this.#log,
      knownName: (id) => this.#participants.get(id)?.name,
      ...(a.capture?.pulseSource ? { mixedAudio: { pulseSource: a.capture.pulseSource, env: a.capture.ffmpegEnv } } : {}),
      onPhrase: (p) => {
        const phrase = {
          id: randomUUID(),
          speaker: p.speaker,
          startSec: p.result.startSec,
          endSec: p.result.endSec,
          text: p.result.text,
          confidence: p.result.confidence,
          language: target.language,
        };
        this.#events.emit('phrase', phrase);
        if (this.#deps.config.transcription.inMeetingSubtitles) {
          void a.page
            ?.sendJsonMessage(transcriptionResultMessage(phrase, startedAt))
            .then((ok) => ok || this.#log.debug('could not send a subtitle'));
        }
      },
    });
    await a.transcription.start();
  }

  #recordParticipants(list: ReadonlyArray<{ id: string; name: string | null; hiddenFromRecorder: boolean }> | null): void {
    for (const p of list ?? []) {
      if (p.hiddenFromRecorder) continue; // never recorded, never named in metadata
      const known = this.#participants.get(p.id);
      if (!known || (p.name && known.name !== p.name)) this.#participants.set(p.id, { id: p.id, name: p.name });
    }
  }

  #onStreamStatus(status: StreamStatus): void {
    this.#events.emit('stream', status);
    if (status.status !== 'ended') return;
    // A stream-only session has nothing left to do; with a file, the recording goes on without the stream.
    const failure = streamSessionFailure(status, this.request.recordFile);
    if (failure !== null) this.#fail(failure);
  }

  async #writeMetadata(status: string, file: FileSinkResult | null): Promise<void> {
    const a = this.#acquired;
    if (!a.paths) return;
    const started = a.captureStartedAtMs;
    const stopped = a.captureStoppedAtMs;
    await writeMetadata(
      a.paths.metadataFile,
      buildMetadata({
        target: this.request.target,
        participants: [...this.#participants.values()],
        fileRecordingMetadata: this.request.fileRecordingMetadata,
        liveViewUrl: youtubeLiveViewUrl(this.request.stream?.youtubeBroadcastId ?? null),
        scriba: {
          session_id: this.id,
          room: this.request.target.room,
          status,
          started_at: started === undefined ? null : new Date(started).toISOString(),
          ended_at: stopped === undefined ? null : new Date(stopped).toISOString(),
          duration_sec: a.mediaDurationSec ?? (started !== undefined && stopped !== undefined ? (stopped - started) / 1000 : null),
          file: file ? { name: a.paths.mediaFile.split('/').pop(), size_bytes: file.sizeBytes, finalized: file.finalized } : null,
          ...(this.request.segments ? { segment: this.request.segments.segment, segments: this.request.segments.earlier } : {}),
          ...(this.request.stream
            ? {
                stream: {
                  target: redactStreamUrl(this.request.stream.url),
                  connects: a.stream?.connects ?? null,
                  connected_sec: a.stream?.connectedSec ?? null,
                  end: a.stream ? { code: a.stream.end.code, reason: a.stream.end.reason } : null,
                },
              }
            : {}),
        },
      }),
    ).catch((err: unknown) => this.#log.warn({ err }, 'could not write metadata.json'));
  }

  /** Total: every step runs even if an earlier one fails. Returns the file result, if any. */
  async #teardown(): Promise<FileSinkResult | null> {
    const a = this.#acquired;
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        this.#log.warn({ err }, `cleanup step "${name}" failed`);
      }
    };
    await step('stop ffmpeg', async () => {
      if (!a.ffmpeg) {
        if (a.captureStartedAtMs !== undefined) a.captureStoppedAtMs = this.#now();
        return;
      }
      const exit = await a.ffmpeg.stop();
      a.captureStoppedAtMs = this.#now();
      if (exit.lastProgress) a.mediaDurationSec = exit.lastProgress.timeSec;
      this.#log.info({ code: exit.code, signal: exit.signal }, 'ffmpeg stopped');
    });
    // Right after the capture: the relay gets the capture's last bytes, then ends the stream cleanly.
    await step('finish stream', async () => {
      const stream = this.request.stream;
      if (stream === null) return;
      if (!a.streamSink) {
        const end = notStartedEnd(this.#state.status === 'stopping' ? this.#state.failure : null);
        a.stream = notStartedSummary(stream, end);
        this.#events.emit('stream', end);
        return;
      }
      const result = await a.streamSink.finalize(AbortSignal.timeout(15_000));
      if (result?.kind === 'stream') a.stream = result.summary;
    });
    // While the page still runs: the tap flushes its last chunks, the engines their last phrases.
    await step('finish transcription', async () => {
      if (!a.transcription || !a.transcriptFiles) return;
      const transcript = await a.transcription.stop(a.captureStoppedAtMs ?? this.#now());
      await mkdir(dirname(a.transcriptFiles.json), { recursive: true, mode: 0o750 });
      await writeTranscriptFiles(transcript, a.transcriptFiles);
      a.transcript = { files: a.transcriptFiles, phrases: a.transcription.phraseCount };
    });
    await step('close speech engine', async () => {
      this.#transcriptionAbort.abort();
      await a.engine?.close();
    });
    // A last look at who is there: a short session may otherwise end before the first periodic poll.
    await step('collect participants', async () => {
      if (a.page) this.#recordParticipants(await a.page.participants());
    });
    await step('leave meeting', () => (a.page ? withTimeout(a.page.leave({ timeoutMs: 3000 }), 4000, undefined) : Promise.resolve()));
    await step('close browser', () => a.browser?.close() ?? Promise.resolve());
    await step('stop capture helpers', () => a.capture?.close() ?? Promise.resolve());
    let file: FileSinkResult | null = null;
    await step('finalize file', async () => {
      if (!a.fileSink) return;
      const result = await a.fileSink.finalize(AbortSignal.timeout(10 * 60_000));
      if (result?.kind !== 'file') return;
      file = result;
      if (result.warning) this.#log.warn(result.warning);
    });
    await step('write metadata', async () => {
      if (!a.paths) return;
      if (file) {
        await this.#writeMetadata(this.#state.status === 'stopping' && this.#state.failure ? 'failed' : 'finished', file);
      } else {
        // A session that recorded nothing leaves no directory.
        await rm(a.paths.metadataFile, { force: true });
        await rmdir(a.paths.sessionDir).catch(() => undefined);
      }
    });
    await step('remove work dir', () => (a.workDir ? rm(a.workDir, { recursive: true, force: true }) : Promise.resolve()));
    return file;
  }

  #result(file: FileSinkResult | null, startedAtMs: number): SessionResult {
    const s = this.#state;
    const a = this.#acquired;
    const wall =
      a.captureStartedAtMs !== undefined && a.captureStoppedAtMs !== undefined ? (a.captureStoppedAtMs - a.captureStartedAtMs) / 1000 : 0;
    const duration = a.mediaDurationSec ?? wall;
    return {
      sessionId: this.id,
      status: s.status === 'failed' ? 'failed' : 'finished',
      reason: s.status === 'finished' ? s.reason : 'error',
      failure: s.status === 'failed' ? s.failure : null,
      file,
      metadataFile: file && a.paths ? a.paths.metadataFile : null,
      stream: a.stream ?? null,
      durationSec: duration,
      startedAt: a.captureStartedAtMs !== undefined ? new Date(a.captureStartedAtMs).toISOString() : new Date(startedAtMs).toISOString(),
      endedAt: new Date(this.#now()).toISOString(),
      participants: [...this.#participants.values()],
      transcript: a.transcript ?? null,
    };
  }
}
