/** The session runtime on this machine (session-runtime.ts): the real parts, wired from the configuration. */
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { launchBrowser } from '../browser/launch.ts';
import { MeetingPage } from '../browser/meeting-page.ts';
import type { CaptureBackend } from '../capture/capture-backend.ts';
import { markScratchOwner } from '../capture/scratch-sweep.ts';
import { sessionDirs } from '../capture/session-env.ts';
import type { ScribaConfig } from '../config/config.ts';
import { sanitizeSessionId } from '../domain/output-naming.ts';
import { buildCaptureCommand, startFfmpeg } from '../ffmpeg/index.ts';
import { fileEncodingProfile, planCaptureOutputs, streamEncodingProfile } from '../sinks/encode-plan.ts';
import { createSink } from '../sinks/create-sink.ts';
import type { SpeechEngine } from '../transcription/index.ts';
import { writeMetadata } from './metadata.ts';
import type { SessionRuntime } from './session-runtime.ts';
import { reconnectPolicy } from './session-stream.ts';

export interface RealRuntimeOptions {
  readonly config: ScribaConfig;
  readonly backend: CaptureBackend;
  /** The speech engine of a session that transcribes (workers/recorder.ts: from config.transcription). */
  readonly speechEngine: (engine?: string) => SpeechEngine | Promise<SpeechEngine>;
  readonly now?: () => number;
}

export function createRealRuntime(o: RealRuntimeOptions): SessionRuntime {
  const { config } = o;
  const now = o.now ?? Date.now;
  // The transcription modules load on first use, alongside a session's first speech engine: a session (and
  // `scriba record`'s start) that does not transcribe never loads them.
  let runnerModule: Promise<typeof import('./transcription-runner.ts')> | undefined;
  const loadRunner = () => (runnerModule ??= import('./transcription-runner.ts'));
  return {
    scratch: {
      async create(sessionId) {
        await mkdir(config.workDir, { recursive: true, mode: 0o700 });
        // Short on purpose: Chromium's singleton socket lives below this directory, and a Unix socket path has
        // at most 107 bytes (a 36-character session id here made Chromium abort at start).
        const dir = await mkdtemp(`${config.workDir}/${sanitizeSessionId(sessionId).slice(0, 8)}-`);
        try {
          await markScratchOwner(dir);
        } catch (err) {
          await rm(dir, { recursive: true, force: true });
          throw err;
        }
        return dir;
      },
      remove: (dir) => rm(dir, { recursive: true, force: true }),
    },
    capture: o.backend,
    browsers: {
      async launch(l) {
        const launched = await launchBrowser({
          executablePath: config.chromiumPath,
          userDataDir: sessionDirs(l.workDir).profile,
          width: l.width,
          height: l.height,
          headless: l.capture.headless,
          kiosk: l.capture.kiosk,
          env: l.capture.env,
          extraArgs: config.chromiumExtraArgs,
          signal: l.signal,
        });
        return {
          pid: launched.pid,
          async openTab() {
            const tab = await launched.firstPage();
            return { tab, page: await MeetingPage.create(tab) };
          },
          onDisconnect: (listener) => void launched.browser.once('disconnected', listener),
          close: () => launched.close(),
        };
      },
    },
    outputs: {
      fileSink: (path, { remux }) => createSink({ kind: 'file', path, remux }, { ffmpegPath: config.ffmpegPath }),
      streamSink: (target, { onStatus, log }) =>
        createSink(
          { kind: 'stream', url: target.url, youtubeBroadcastId: target.youtubeBroadcastId },
          {
            ffmpegPath: config.ffmpegPath,
            stream: { policy: reconnectPolicy(config), connectTimeoutMs: config.stream.connectTimeoutSec * 1000, onStatus, log, now },
          },
        ),
      startCapture({ capture, sinks, width, height, onProgress }) {
        const outputs = planCaptureOutputs({
          legs: sinks.map((sink) => ({ kind: sink.spec.kind, leg: sink.leg })),
          file: fileEncodingProfile(config, width, height),
          stream: streamEncodingProfile(config, width, height),
          shareEncode: config.stream.shareEncode,
        });
        const ffmpeg = startFfmpeg(buildCaptureCommand({ inputs: capture.ffmpegInputs, outputs }), {
          env: capture.ffmpegEnv,
          ffmpegPath: config.ffmpegPath,
          killGraceMs: config.stopGraceSec * 1000,
          // The stream leg comes out on stdout (mpegtsPipeLeg); the stream sink reads it from the first byte.
          ...(sinks.some((sink) => sink.spec.kind === 'stream') ? { stdout: 'pipe' as const } : {}),
          onProgress,
        });
        for (const sink of sinks) sink.start({ stdout: ffmpeg.stdout });
        return ffmpeg;
      },
    },
    transcription: {
      engine: async (name) => (await Promise.all([o.speechEngine(name), loadRunner()]))[0],
      runner: async (opts) => new (await loadRunner()).TranscriptionRunner(opts),
    },
    files: {
      makeDir: async (dir) => void (await mkdir(dir, { recursive: true, mode: 0o750 })),
      writeMetadata,
      async writeTranscript(transcript, files) {
        await mkdir(dirname(files.json), { recursive: true, mode: 0o750 });
        const { writeTranscriptFiles } = await import('./transcript-writer.ts');
        await writeTranscriptFiles(transcript, files);
      },
      async removeRecording(paths) {
        await rm(paths.metadataFile, { force: true });
        await rmdir(paths.sessionDir).catch(() => undefined);
      },
    },
    now,
  };
}
