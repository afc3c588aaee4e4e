/**
 * One recording session: prepare → launch → join → capture → stop → finalize. The lifecycle lives in the
 * pure reducer (domain/session-state.ts); this class performs the side effects through its runtime
 * (session-runtime.ts), in order, and always runs every cleanup (ffmpeg is stopped first so the file is
 * finished before anything else is torn down).
 */
import { EventEmitter } from 'node:events';
import type { Page } from 'puppeteer-core';
import { buildMeetingUrl } from '../browser/meeting-url.ts';
import type { PreparedCapture } from '../capture/capture-backend.ts';
import { RESOLUTIONS, type ScribaConfig } from '../config/config.ts';
import { ScribaError, toScribaError } from '../domain/errors.ts';
import { recordingPaths, type RecordingPaths } from '../domain/output-naming.ts';
import {
  INITIAL_SESSION_STATE,
  reduceSession,
  type SessionEvent,
  type SessionFailure,
  type SessionState,
  type StopReason,
} from '../domain/session-state.ts';
import { inputStartEpochMs } from '../ffmpeg/input-start.ts';
import type { FfmpegProgress } from '../ffmpeg/index.ts';
import { onAbort, pause, settlesWithin } from '../lib/abort.ts';
import { sessionLogger, type Logger } from '../log/logger.ts';
import { scrubSecrets, sessionSecrets } from '../log/session-secrets.ts';
import type { FileSinkResult, Sink } from '../sinks/sink.ts';
import { redactStreamUrl, youtubeLiveViewUrl } from '../sinks/stream-url.ts';
import type { SpeakerPhrase, SpeechEngine } from '../transcription/index.ts';
import { SubtitleThrottle } from '../transcription/subtitle-throttle.ts';
import { buildMetadata } from './metadata.ts';
import { monitorSession } from './monitor.ts';
import { outputsByKind, type OutputsByKind } from './session-outputs.ts';
import type { CaptureProcess, SessionBrowser, SessionPage, SessionRuntime, SessionTranscriber } from './session-runtime.ts';
import { notStartedEnd, notStartedSummary, streamSessionFailure } from './session-stream.ts';
import type {
  ParticipantInfo,
  RecordingRequest,
  SessionEvents,
  SessionPhrase,
  SessionResult,
  StreamOutput,
  StreamStatus,
  StreamSummary,
  TranscriptionOutput,
  TranscriptResult,
} from './session-types.ts';
import { clearingMessage, type TranscriptionResultMessage, transcriptionResultMessage } from './subtitle-message.ts';
import { transcriptFiles } from './transcript-phrase.ts';

export interface SessionDeps {
  readonly config: ScribaConfig;
  readonly runtime: SessionRuntime;
  readonly logger: Logger;
}

/*
 * What each start step acquired, one record per step, every field set: a step's record exists once all of it
 * is held, and teardown releases what exists.
 */

/** The scratch directory and the display/sound server in it. */
interface Prepared {
  readonly workDir: string;
  readonly capture: PreparedCapture;
}
/** The meeting tab and its page object (left at teardown). */
interface Opened {
  readonly tab: Page;
  readonly page: SessionPage;
}
interface RecordingFile {
  readonly paths: RecordingPaths;
  readonly sink: Sink;
}
interface LiveStream {
  readonly target: StreamOutput;
  readonly sink: Sink;
}
interface Transcribing {
  /** Where the transcript files go (named like the recording, next to it). */
  readonly files: TranscriptResult['files'];
  readonly runner: SessionTranscriber;
}
/** What the start steps hand the running phase. */
interface Running {
  readonly prepared: Prepared;
  readonly browser: SessionBrowser;
  readonly opened: Opened;
  /** Null when nothing is encoded (transcription only). */
  readonly ffmpeg: CaptureProcess | null;
  readonly startedAtMs: number;
}
/** What teardown learned. */
interface Ended {
  stoppedAtMs: number | null;
  /** Seconds of media written, from ffmpeg's last progress line. */
  mediaDurationSec: number | null;
  stream: StreamSummary | null;
  transcript: TranscriptResult | null;
  file: FileSinkResult | null;
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
    streamUrls: request.outputs.flatMap((o) => (o.kind === 'stream' ? [o.url] : [])),
    metadata: request.fileRecordingMetadata,
  });
}

export class RecordingSession {
  readonly id: string;
  readonly request: RecordingRequest;
  readonly #config: ScribaConfig;
  readonly #rt: SessionRuntime;
  readonly #outputs: OutputsByKind;
  readonly #log: Logger;
  readonly #events = new EventEmitter<SessionEvents>();
  /** Aborted with the StopReason when the session must stop; every start step listens to it. */
  readonly #stop = new AbortController();
  readonly #participants = new Map<string, ParticipantInfo>();
  #state: SessionState = INITIAL_SESSION_STATE;
  #run: Promise<SessionResult> | null = null;
  readonly #progressListeners = new Set<(p: FfmpegProgress) => void>();
  readonly #transcriptionAbort = new AbortController();
  #prepared: Prepared | null = null;
  #browser: SessionBrowser | null = null;
  #opened: Opened | null = null;
  #file: RecordingFile | null = null;
  #stream: LiveStream | null = null;
  #ffmpeg: CaptureProcess | null = null;
  /** When the recording's timeline starts (epoch ms): set once the capture runs. */
  #captureStartedAtMs: number | null = null;
  #engine: SpeechEngine | null = null;
  #transcribing: Transcribing | null = null;

  constructor(request: RecordingRequest, deps: SessionDeps) {
    this.id = request.sessionId;
    this.request = request;
    this.#config = deps.config;
    this.#rt = deps.runtime;
    this.#outputs = outputsByKind(request.outputs);
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
    const pids = [
      ...(this.#prepared?.capture.helperPids ?? []),
      this.#browser?.pid,
      this.#ffmpeg?.pid,
      ...(this.#stream?.sink.pids() ?? []),
    ];
    return pids.filter((p): p is number => typeof p === 'number');
  }

  /** The meeting tab while the session runs (diagnostics and tests: screenshots, what the page received). */
  inspectPage(): Page | null {
    return this.#opened?.tab ?? null;
  }

  /** Ask the session to stop; the recording is finished and finalized. Safe to call at any time, repeatedly. */
  stop(reason: Exclude<StopReason, 'error'> = 'requested'): void {
    if (this.#stop.signal.aborted) return;
    this.#dispatch({ type: 'stop', reason });
    this.#stop.abort(reason);
  }

  /** Runs the whole session once; calling again returns the same promise. An abort of signal = stop(). */
  run(signal?: AbortSignal): Promise<SessionResult> {
    onAbort(signal, () => this.stop());
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
    const startedAtMs = this.#rt.now();
    try {
      const r = await this.#start();
      await monitorSession({
        config: this.#config,
        maxDurationMs: this.request.maxDurationSec * 1000,
        page: r.opened.page,
        ffmpeg: r.ffmpeg,
        capture: r.prepared.capture,
        browser: r.browser,
        captureStartedAtMs: r.startedAtMs,
        stopSignal: this.#stop.signal,
        subscribeProgress: (listener) => {
          this.#progressListeners.add(listener);
          return () => this.#progressListeners.delete(listener);
        },
        now: this.#rt.now,
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
    const ended = await this.#teardown();
    this.#dispatch({ type: 'finalized' });
    return this.#result(ended, startedAtMs);
  }

  async #start(): Promise<Running> {
    const config = this.#config;
    const rt = this.#rt;
    const stop = this.#stop.signal;
    const { width, height } = RESOLUTIONS[this.request.resolution];

    const workDir = await rt.scratch.create(this.id);
    try {
      stop.throwIfAborted();
      const spec = { width, height, fps: config.capture.fps, audioOffsetMs: config.capture.audioOffsetMs };
      this.#prepared = { workDir, capture: await rt.capture.prepare(spec, workDir, stop) };
    } catch (err) {
      await this.#cleanup('remove work dir', () => rt.scratch.remove(workDir));
      throw err;
    }
    const prepared = this.#prepared;

    this.#dispatch({ type: 'step', step: 'launching' });
    stop.throwIfAborted();
    const browser = await rt.browsers.launch({ workDir, width, height, capture: prepared.capture.browser, signal: stop });
    this.#browser = browser;

    this.#dispatch({ type: 'step', step: 'joining' });
    const opened = await browser.openTab();
    this.#opened = opened;
    const { page } = opened;
    const { meeting } = config;
    const url = buildMeetingUrl(
      this.request.target,
      this.request.login,
      { displayName: meeting.displayName, email: meeting.email },
      this.request.roomPassword,
    );
    await page.open(url, { signal: stop, timeoutMs: meeting.pageLoadTimeoutSec * 1000 });
    await page.waitForJoin({ signal: stop, timeoutMs: meeting.joinTimeoutSec * 1000 });
    const first = await page.snapshot({ timeoutMs: 5000 });
    if (first.e2ee === true) {
      throw new ScribaError(
        'e2ee_not_supported',
        'the meeting uses end-to-end encryption: a recorder would only capture undecryptable media, so it was not recorded',
      );
    }
    // Presence tags as Jibri sets them; Meet shows the recording state from the focus and these.
    // Jibri's modes are FILE and STREAM only; a transcription-only session claims neither.
    const mode = this.#outputs.file !== null ? 'FILE' : this.#outputs.stream !== null ? 'STREAM' : null;
    await page.setPresence({ session_id: this.id, ...(mode ? { mode } : {}) });
    // Everyone must learn the meeting is recorded, whoever started it (Jicofo is not involved here).
    if (meeting.recordingNotice && !(await page.announce(meeting.recordingNotice))) {
      this.#log.warn('could not post the recording notice in the meeting chat');
    }
    this.#recordParticipants(await page.participants());

    this.#dispatch({ type: 'step', step: 'capturing' });
    stop.throwIfAborted();
    const { ffmpeg, startedAtMs } = await this.#startCapture(prepared, width, height);
    await this.#startTranscription(this.#outputs.transcription, startedAtMs, prepared, opened);
    return { prepared, browser, opened, ffmpeg, startedAtMs };
  }

  async #startCapture(prepared: Prepared, width: number, height: number): Promise<{ ffmpeg: CaptureProcess | null; startedAtMs: number }> {
    const rt = this.#rt;
    const { file, stream } = this.#outputs;
    if (file !== null) {
      const paths = recordingPaths(this.#config.recordingsDir, this.id, this.request.target.room, new Date(rt.now()));
      await rt.files.makeDir(paths.sessionDir);
      this.#file = { paths, sink: rt.outputs.fileSink(paths.mediaFile, { remux: this.request.uploadWhileRecording !== true }) };
    }
    if (stream !== null) {
      const sink = rt.outputs.streamSink(stream, { onStatus: (status) => this.#onStreamStatus(status), log: this.#log });
      this.#stream = { target: stream, sink };
    }
    const sinks = [this.#file?.sink, this.#stream?.sink].filter((sink): sink is Sink => sink !== undefined);
    if (sinks.length === 0) {
      // Transcription only: no video capture and no encoding at all; the tap reads the page's WebRTC audio.
      const startedAtMs = rt.now();
      this.#captureStartedAtMs = startedAtMs;
      this.#dispatch({ type: 'capture_started', atMs: startedAtMs });
      return { ffmpeg: null, startedAtMs };
    }
    let firstFrame: () => void = () => {};
    const framed = new Promise<void>((resolve) => (firstFrame = resolve));
    const spawnedAtMs = rt.now();
    const ffmpeg = rt.outputs.startCapture({
      capture: prepared.capture,
      sinks,
      width,
      height,
      onProgress: (p) => {
        if (p.frame > 0) firstFrame();
        for (const listener of this.#progressListeners) listener(p);
      },
    });
    this.#ffmpeg = ffmpeg;
    if (this.#file) this.#events.emit('file', { path: this.#file.paths.mediaFile });
    const outcome = await Promise.race([
      framed.then(() => 'ok' as const),
      ffmpeg.exited.then((exit) => exit),
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
    const now = rt.now();
    const fileZero = inputStartEpochMs(ffmpeg.stderrTail());
    const startedAtMs = fileZero !== null && fileZero >= spawnedAtMs - 1000 && fileZero <= now ? fileZero : now;
    this.#captureStartedAtMs = startedAtMs;
    this.#dispatch({ type: 'capture_started', atMs: startedAtMs });
    if (this.#file) {
      await this.#writeMetadata(this.#file.paths, 'recording', {
        stoppedAtMs: null,
        mediaDurationSec: null,
        stream: null,
        transcript: null,
        file: null,
      });
    }
    return { ffmpeg, startedAtMs };
  }

  /** After capture started (its clock is the transcript's): the tap and one speech stream per participant. */
  async #startTranscription(target: TranscriptionOutput | null, startedAt: number, prepared: Prepared, opened: Opened): Promise<void> {
    if (target === null) return;
    const room = this.request.target.room;
    const media = this.#file?.paths.mediaFile ?? recordingPaths(this.#config.recordingsDir, this.id, room, new Date(startedAt)).mediaFile;
    const files = transcriptFiles(media);
    const engine = await this.#rt.transcription.engine(target.engine);
    this.#engine = engine;
    const { capture } = prepared;
    // Interims and the final of a phrase share a message id: the room sees one line, replaced as it firms up.
    const subtitles = new SubtitleThrottle();
    const subtitlesOn = this.#config.transcription.inMeetingSubtitles;
    const line = (id: string, p: SpeakerPhrase): SessionPhrase => {
      const { startSec, endSec, text, confidence } = p.result;
      return { id, speaker: p.speaker, startSec, endSec, text, confidence, language: target.language };
    };
    const send = (message: TranscriptionResultMessage): void => {
      void opened.page.sendJsonMessage(message).then((ok) => ok || this.#log.debug('could not send a subtitle'));
    };
    const runner = await this.#rt.transcription.runner({
      page: opened.page,
      captureStartedAtMs: startedAt,
      engine,
      language: target.language,
      room: this.request.target.room,
      // Only teardown cancels it hard; a stop flushes it (stop()).
      signal: this.#transcriptionAbort.signal,
      log: this.#log,
      knownName: (id) => this.#participants.get(id)?.name,
      ...(capture.pulseSource ? { mixedAudio: { pulseSource: capture.pulseSource, env: capture.ffmpegEnv } } : {}),
      // Without subtitles no interim is wanted: the runner then neither places them nor withdraws any.
      ...(subtitlesOn
        ? {
            onInterim: (p: SpeakerPhrase) => {
              const id = subtitles.interim(p.speaker.id, p.result.text, Date.now());
              if (id !== null) send(transcriptionResultMessage(line(id, p), startedAt, true));
            },
            onWithdraw: (last: SpeakerPhrase) => {
              const id = subtitles.withdraw(last.speaker.id);
              if (id !== null) send(clearingMessage(line(id, last), startedAt));
            },
          }
        : {}),
      onPhrase: (p) => {
        const phrase = line(subtitles.final(p.speaker.id), p);
        this.#events.emit('phrase', phrase);
        if (subtitlesOn) send(transcriptionResultMessage(phrase, startedAt));
      },
    });
    this.#transcribing = { files, runner };
    await runner.start();
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
    const failure = streamSessionFailure(status, this.#outputs.file !== null);
    if (failure !== null) this.#fail(failure);
  }

  async #writeMetadata(paths: RecordingPaths, status: string, ended: Ended): Promise<void> {
    const started = this.#captureStartedAtMs;
    const stopped = ended.stoppedAtMs;
    const stream = this.#outputs.stream;
    const { file } = ended;
    await this.#rt.files
      .writeMetadata(
        paths.metadataFile,
        buildMetadata({
          target: this.request.target,
          participants: [...this.#participants.values()],
          fileRecordingMetadata: this.request.fileRecordingMetadata,
          liveViewUrl: youtubeLiveViewUrl(stream?.youtubeBroadcastId ?? null),
          scriba: {
            session_id: this.id,
            room: this.request.target.room,
            status,
            started_at: started === null ? null : new Date(started).toISOString(),
            ended_at: stopped === null ? null : new Date(stopped).toISOString(),
            duration_sec: ended.mediaDurationSec ?? (started !== null && stopped !== null ? (stopped - started) / 1000 : null),
            file: file ? { name: paths.mediaFile.split('/').pop(), size_bytes: file.sizeBytes, finalized: file.finalized } : null,
            ...(this.request.segments ? { segment: this.request.segments.segment, segments: this.request.segments.earlier } : {}),
            ...(stream
              ? {
                  stream: {
                    target: redactStreamUrl(stream.url),
                    connects: ended.stream?.connects ?? null,
                    connected_sec: ended.stream?.connectedSec ?? null,
                    end: ended.stream ? { code: ended.stream.end.code, reason: ended.stream.end.reason } : null,
                  },
                }
              : {}),
          },
        }),
      )
      .catch((err: unknown) => this.#log.warn({ err }, 'could not write metadata.json'));
  }

  /** One cleanup step: a failure is logged, never thrown, so the next step runs. */
  async #cleanup(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#log.warn({ err }, `cleanup step "${name}" failed`);
    }
  }

  /**
   * Total: every step runs even if an earlier one fails. Not the reverse of the start order: the capture
   * stops first (the file ends when asked), the transcription flushes while the page still runs, and the file
   * is finalized (a remux may take a while) after the browser has left the meeting.
   */
  async #teardown(): Promise<Ended> {
    const rt = this.#rt;
    const ended: Ended = { stoppedAtMs: null, mediaDurationSec: null, stream: null, transcript: null, file: null };
    const step = (name: string, fn: () => Promise<unknown>) => this.#cleanup(name, fn);
    await step('stop ffmpeg', async () => {
      const ffmpeg = this.#ffmpeg;
      if (ffmpeg === null) {
        if (this.#captureStartedAtMs !== null) ended.stoppedAtMs = rt.now();
        return;
      }
      const exit = await ffmpeg.stop();
      ended.stoppedAtMs = rt.now();
      if (exit.lastProgress) ended.mediaDurationSec = exit.lastProgress.timeSec;
      this.#log.info({ code: exit.code, signal: exit.signal }, 'ffmpeg stopped');
    });
    // Right after the capture: the relay gets the capture's last bytes, then ends the stream cleanly.
    await step('finish stream', async () => {
      const target = this.#outputs.stream;
      if (target === null) return;
      if (this.#stream === null) {
        const end = notStartedEnd(this.#state.status === 'stopping' ? this.#state.failure : null);
        ended.stream = notStartedSummary(target, end);
        this.#events.emit('stream', end);
        return;
      }
      const result = await this.#stream.sink.finalize(AbortSignal.timeout(15_000));
      if (result?.kind === 'stream') ended.stream = result.summary;
    });
    // While the page still runs: the tap flushes its last chunks, the engines their last phrases.
    await step('finish transcription', async () => {
      const t = this.#transcribing;
      if (t === null) return;
      const transcript = await t.runner.stop(ended.stoppedAtMs ?? rt.now());
      await rt.files.writeTranscript(transcript, t.files);
      ended.transcript = { files: t.files, phrases: t.runner.phraseCount };
    });
    await step('close speech engine', async () => {
      this.#transcriptionAbort.abort();
      await this.#engine?.close();
    });
    const opened = this.#opened;
    // A last look at who is there: a short session may otherwise end before the first periodic poll.
    await step('collect participants', async () => {
      if (opened) this.#recordParticipants(await opened.page.participants());
    });
    await step('leave meeting', () =>
      opened
        ? settlesWithin(
            opened.page.leave({ timeoutMs: 3000 }).catch(() => undefined),
            4000,
          )
        : Promise.resolve(),
    );
    await step('close browser', () => this.#browser?.close() ?? Promise.resolve());
    await step('stop capture helpers', () => this.#prepared?.capture.close() ?? Promise.resolve());
    const recording = this.#file;
    await step('finalize file', async () => {
      if (recording === null) return;
      const result = await recording.sink.finalize(AbortSignal.timeout(10 * 60_000));
      if (result?.kind !== 'file') return;
      ended.file = result;
      if (result.warning) this.#log.warn(result.warning);
    });
    await step('write metadata', async () => {
      if (recording === null) return;
      if (ended.file) {
        await this.#writeMetadata(recording.paths, this.#state.status === 'stopping' && this.#state.failure ? 'failed' : 'finished', ended);
      } else {
        // A session that recorded nothing leaves no directory.
        await rt.files.removeRecording(recording.paths);
      }
    });
    await step('remove work dir', () => (this.#prepared ? rt.scratch.remove(this.#prepared.workDir) : Promise.resolve()));
    return ended;
  }

  #result(ended: Ended, startedAtMs: number): SessionResult {
    const s = this.#state;
    const started = this.#captureStartedAtMs;
    const wall = started !== null && ended.stoppedAtMs !== null ? (ended.stoppedAtMs - started) / 1000 : 0;
    return {
      sessionId: this.id,
      status: s.status === 'failed' ? 'failed' : 'finished',
      reason: s.status === 'finished' ? s.reason : 'error',
      failure: s.status === 'failed' ? s.failure : null,
      file: ended.file,
      metadataFile: ended.file && this.#file ? this.#file.paths.metadataFile : null,
      stream: ended.stream,
      durationSec: ended.mediaDurationSec ?? wall,
      startedAt: new Date(started ?? startedAtMs).toISOString(),
      endedAt: new Date(this.#rt.now()).toISOString(),
      participants: [...this.#participants.values()],
      transcript: ended.transcript,
    };
  }
}
