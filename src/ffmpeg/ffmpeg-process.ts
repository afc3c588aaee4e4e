/**
 * Runs one ffmpeg command: spawns exactly `toArgv(spec)` (through fluent-ffmpeg, see fluent-runner.ts),
 * classifies its stderr line by line, and stops it in stages: SIGINT (ffmpeg finishes the file and exits),
 * then SIGKILL after killGraceMs. `exited` never rejects; stop() and abort are idempotent.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { abortError, onAbort } from '../lib/abort.ts';
import { planChildSpawn } from '../process/spawn-plan.ts';
import { childSignalSender, createStagedStop } from '../process/staged-stop.ts';
import { type FfmpegCommandSpec, toArgv } from './command-spec.ts';
import { type FfmpegExit, ffmpegExitToError } from './ffmpeg-exit.ts';
import { spawnThroughFluent } from './fluent-runner.ts';
import {
  advanceLivenessMark,
  createLineSplitter,
  type FfmpegLine,
  type FfmpegProgress,
  type LivenessMark,
  parseFfmpegLine,
} from './progress-parser.ts';

export const DEFAULT_KILL_GRACE_MS = 10_000;
export const DEFAULT_STDERR_TAIL_LINES = 50;

export interface StartFfmpegOptions {
  /** Aborting it is the same as calling stop(). Already aborted: nothing is spawned. */
  readonly signal?: AbortSignal;
  /** The child's whole environment (as in child_process: it replaces, not extends, process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Default 'ffmpeg' (looked up in PATH). */
  readonly ffmpegPath?: string;
  readonly onProgress?: (progress: FfmpegProgress) => void;
  /** Every stderr line, classified. Called synchronously from the stream handler: must not throw. */
  readonly onLine?: (line: FfmpegLine) => void;
  /** Time between SIGINT and SIGKILL. Default 10 s (as Jibri). */
  readonly killGraceMs?: number;
  /** How many non-progress stderr lines to keep for error messages. Default 50. */
  readonly stderrTailLines?: number;
  /**
   * Default true: start ffmpeg as `setpriv --pdeathsig SIGKILL -- ffmpeg …` (util-linux) so the kernel kills
   * it if our process dies without stopping it (crash, SIGKILL, OOM kill): no orphaned ffmpeg keeps a
   * display, a PulseAudio stream or an RTMP ingest busy. setpriv execs ffmpeg, so the pid is ffmpeg's.
   * Skipped silently when setpriv is not installed. Caveat: Linux sends the death signal when the THREAD that
   * spawned the child ends; startFfmpeg must therefore be called from the main thread or from a worker_thread
   * that lives as long as the recording.
   */
  readonly killOnParentDeath?: boolean;
  /** Clock for livenessMark/startedAtMs (tests). Default Date.now. */
  readonly now?: () => number;
  /** Media in through `pipe:0` (handle.stdin) / out through `pipe:1` (handle.stdout). Default: neither. */
  readonly stdin?: 'pipe';
  readonly stdout?: 'pipe';
  /**
   * Applied to every raw stderr line before anything else sees it (tail, lastError, onLine): ffmpeg prints
   * its output URL ("Output #0, flv, to 'rtmp://…/<key>'"), so a command with a secret in its arguments
   * must scrub it here.
   */
  readonly redactLine?: (line: string) => string;
}

export interface FfmpegHandle {
  /** Undefined if the process could not be spawned (or the signal was already aborted). */
  readonly pid: number | undefined;
  /** Resolves once the process has exited and its stderr is fully read. Never rejects. */
  readonly exited: Promise<FfmpegExit>;
  /** SIGINT, then SIGKILL after killGraceMs. Idempotent: every call returns the same promise (`exited`). */
  stop(): Promise<FfmpegExit>;
  /** The ffmpeg arguments (without the program), exactly as spawned after the program name. */
  readonly argv: readonly string[];
  readonly startedAtMs: number;
  readonly lastProgress: FfmpegProgress | null;
  /** When the output frame counter last advanced: feed to evaluateLiveness(mark, startedAtMs, now, timeout). */
  readonly livenessMark: LivenessMark | null;
  /** The last non-progress stderr lines, oldest first. */
  stderrTail(): readonly string[];
  /** ffmpeg's stdin/stdout when asked for with `stdin`/`stdout: 'pipe'`, else null. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
}

export function startFfmpeg(spec: FfmpegCommandSpec, opts: StartFfmpegOptions = {}): FfmpegHandle {
  const argv = toArgv(spec);
  const now = opts.now ?? Date.now;
  const killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const tailLimit = Math.max(1, opts.stderrTailLines ?? DEFAULT_STDERR_TAIL_LINES);
  const startedAtMs = now();

  let child: ChildProcess | undefined;
  let stoppedByUs = false;
  let settled = false;
  /** Removes the listener on opts.signal once ffmpeg has settled. */
  let stopListening = (): void => undefined;
  let lastProgress: FfmpegProgress | null = null;
  let livenessMark: LivenessMark | null = null;
  let lastErrorLine: string | null = null;
  const tail: string[] = [];
  const splitter = createLineSplitter();

  let resolveExited!: (exit: FfmpegExit) => void;
  const exited = new Promise<FfmpegExit>((resolve) => {
    resolveExited = resolve;
  });

  const onLine = (raw: string): void => {
    const line = parseFfmpegLine(opts.redactLine ? opts.redactLine(raw) : raw);
    if (line.kind === 'progress') {
      lastProgress = line;
      livenessMark = advanceLivenessMark(livenessMark, line.frame, now());
      opts.onProgress?.(line);
    } else {
      if (line.kind === 'error') lastErrorLine = line.message;
      tail.push(line.message);
      if (tail.length > tailLimit) tail.splice(0, tail.length - tailLimit);
    }
    opts.onLine?.(line);
  };

  const settle = (spawnError: Error | null): void => {
    if (settled) return;
    settled = true;
    stopListening();
    for (const raw of splitter.end()) onLine(raw);
    // Node sets these before it emits 'exit'; fluent's own 'exit' listener may call us before any of ours.
    const code = child?.exitCode ?? null;
    const signal = child?.signalCode ?? null;
    const failed = spawnError !== null || signal !== null || (code !== null && code !== 0);
    resolveExited({
      code,
      signal,
      stoppedByUs,
      lastError: lastErrorLine ?? spawnError?.message ?? (failed && !stoppedByUs ? (tail.at(-1) ?? null) : null),
      lastProgress,
      stderrTail: [...tail],
    });
  };

  // ffmpeg normally finishes the file and exits within a second of SIGINT; a wedged one (blocked on a dead X
  // server, say) is killed after the grace (the kill timer is cleared once `exited` settles).
  const stagedStop = createStagedStop(
    childSignalSender(() => child),
    exited,
    'SIGINT',
  );

  const stop = (): Promise<FfmpegExit> => {
    if (settled) return exited;
    stoppedByUs = true;
    return stagedStop(killGraceMs);
  };

  if (opts.signal?.aborted === true) {
    stoppedByUs = true;
    settled = true;
    resolveExited({
      code: null,
      signal: null,
      stoppedByUs: true,
      lastError: 'aborted before ffmpeg was started',
      lastProgress: null,
      stderrTail: [],
    });
  } else {
    stopListening = onAbort(opts.signal, () => void stop());
    const plan = planChildSpawn(opts.ffmpegPath ?? 'ffmpeg', argv, opts.killOnParentDeath ?? true);
    try {
      spawnThroughFluent(
        plan.program,
        plan.args,
        {
          ...(opts.env === undefined ? {} : { env: opts.env }),
          ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
          ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
          ...(opts.stdout === undefined ? {} : { stdout: opts.stdout }),
        },
        (proc) => {
          child = proc;
          proc.stderr?.on('data', (chunk: string | Buffer) => {
            for (const raw of splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))) onLine(raw);
          });
        },
        (err) => {
          // fluent reports a non-zero exit as an Error too; only a spawn failure (no exit status) matters here.
          const exitedNormally = child !== undefined && (child.exitCode !== null || child.signalCode !== null);
          settle(err !== null && !exitedNormally ? err : null);
        },
      );
    } catch (err) {
      // spawn() throws synchronously for some bad arguments (a NUL byte, say): still resolve, never throw late.
      settle(err instanceof Error ? err : new Error(String(err)));
    }
  }

  return {
    get pid() {
      return child?.pid;
    },
    exited,
    stop,
    argv,
    startedAtMs,
    get lastProgress() {
      return lastProgress;
    },
    get livenessMark() {
      return livenessMark;
    },
    stderrTail: () => [...tail],
    get stdin() {
      return child?.stdin ?? null;
    },
    get stdout() {
      return child?.stdout ?? null;
    },
  };
}

export interface RunFfmpegOptions extends StartFfmpegOptions {
  /** Names the job in error messages, e.g. 'remux'. */
  readonly what?: string;
}

/**
 * Runs a command to completion (remux, analysis). Resolves with the exit when it was clean; rejects with a
 * ScribaError: 'aborted' when the signal fired, else 'ffmpeg_failed' (see ffmpegExitToError).
 */
export async function runFfmpeg(spec: FfmpegCommandSpec, opts: RunFfmpegOptions = {}): Promise<FfmpegExit> {
  const handle = startFfmpeg(spec, opts);
  const exit = await handle.exited;
  if (opts.signal?.aborted === true) {
    throw abortError(opts.signal, opts.what ?? 'ffmpeg');
  }
  const error = ffmpegExitToError(exit, opts.what);
  if (error !== null) throw error;
  return exit;
}
