/**
 * The ONLY file that imports fluent-ffmpeg (archived upstream). It is used as a process runner and an
 * ffprobe client, nothing more; replacing it means rewriting these two functions with node:child_process.
 *
 * Why not fluent's public builder (`.input(src).inputOptions(o).output(t).outputOptions(o).run()`):
 * - it reorders the command line: `_getArguments()` puts the global options AFTER the inputs and adds its
 *   own `-y` when an output looks like a file (test/unit/ffmpeg/fluent-runner.test.ts pins this down);
 * - `inputOptions(['-metadata', 'title=a b'])` splits any two-word string on its space;
 * - `run()` passes no `env` to the child (PULSE_SERVER etc. must reach ffmpeg) and no stdio choice;
 * - `run()` first spawns `ffmpeg -encoders` (and `-formats`/`-codecs` when formats are set) and may insert
 *   `-strict experimental`; with a 'progress' listener it also ffprobes input 0 (an X display here).
 * So we call the runner underneath `run()`, `_spawnFfmpeg(args, spawnOptions, onProcess, onEnd)`, with our
 * exact argument list. It is private, but the package is frozen (2.1.3, archived), and the unit test pins it.
 * The binary comes from a per-command `_getFfmpegPath` because `setFfmpegPath()` writes a module-global cache
 * shared by every command in the process.
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type ffmpegModule from 'fluent-ffmpeg';

// Loaded on first use, not at import: fluent-ffmpeg (CommonJS, with its dependencies) costs about 100 ms to
// load, which every command importing src/ffmpeg would pay before it even starts (`scriba record --help`).
let fluent: typeof ffmpegModule | undefined;
function loadFluent(): typeof ffmpegModule {
  fluent ??= createRequire(import.meta.url)('fluent-ffmpeg') as typeof ffmpegModule;
  return fluent;
}

/** The private part of fluent-ffmpeg 2.1.3 that we rely on (lib/processor.js, lib/capabilities.js). */
interface FluentPrivateCommand {
  _getFfmpegPath(callback: (err: Error | null, path?: string) => void): void;
  _spawnFfmpeg(
    args: string[],
    options: FluentSpawnOptions,
    processCB: (proc: ChildProcess) => void,
    endCB: (err: Error | null) => void,
  ): void;
}

/** Node spawn options plus fluent's own keys (read by _spawnFfmpeg, ignored by spawn). */
interface FluentSpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly stdio: ['ignore' | 'pipe', 'ignore' | 'pipe', 'pipe'];
  readonly detached: boolean;
  readonly windowsHide: true;
  readonly captureStdout: false;
  /** Lines fluent keeps of stderr for its own error messages; we keep our own tail, so the minimum. */
  readonly stdoutLines: 1;
}

export interface RunnerSpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** 'pipe' only for a command that reads `pipe:0` (the RTMP relay); default 'ignore'. */
  readonly stdin?: 'ignore' | 'pipe';
  /** 'pipe' only for a command that writes `pipe:1` (the capture's live-stream leg); the caller must read
   *  it from the moment of spawn, or ffmpeg blocks once the pipe buffer is full. Default 'ignore'. */
  readonly stdout?: 'ignore' | 'pipe';
}

/**
 * Spawns `program args` synchronously through fluent-ffmpeg. `onSpawn` runs before this returns, with the
 * ChildProcess (its stderr already decoded as UTF-8); `onEnd` runs once the process has exited AND its stderr
 * has closed (so every line has been read), with fluent's error for a failed spawn or a non-zero exit, which
 * callers may ignore in favour of the exit code they observe themselves.
 *
 * stdio: by default no stdin (ffmpeg is stopped with signals, never with 'q'), stdout discarded (a pipe nobody
 * reads would block ffmpeg once full), stderr piped; stdin/stdout become pipes only when asked for (media
 * through `pipe:0`/`pipe:1`; fluent leaves them alone when captureStdout is false). detached: ffmpeg gets its own process
 * group, so a Ctrl-C in our terminal does not also reach it: only our stop() signals it, exactly once (a
 * second SIGINT makes ffmpeg 5.1 abort the trailer write: "Immediate exit requested").
 */
export function spawnThroughFluent(
  program: string,
  args: readonly string[],
  options: RunnerSpawnOptions,
  onSpawn: (proc: ChildProcess) => void,
  onEnd: (err: Error | null) => void,
): void {
  const command = loadFluent()() as unknown as FluentPrivateCommand;
  command._getFfmpegPath = (callback) => callback(null, program);
  const spawnOptions: FluentSpawnOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'],
    detached: true,
    windowsHide: true,
    captureStdout: false,
    stdoutLines: 1,
  };
  // A copy: fluent mutates the array it is given when niceness is set.
  command._spawnFfmpeg([...args], spawnOptions, onSpawn, onEnd);
}

/** What ffprobe printed, as fluent-ffmpeg parses it (numbers where the text was a plain number). */
export type FfprobeResult = ffmpegModule.FfprobeData;

/**
 * `ffprobe -show_streams -show_format <extraArgs> <path>` through fluent-ffmpeg (which finds ffprobe via
 * FFPROBE_PATH or PATH). fluent does not expose the child, so it cannot be killed: callers that must honour
 * an AbortSignal stop waiting instead (the probe of a local file ends on its own).
 */
export function ffprobeThroughFluent(path: string, extraArgs: readonly string[]): Promise<FfprobeResult> {
  return new Promise((resolve, reject) => {
    loadFluent().ffprobe(path, [...extraArgs], (err: unknown, data: FfprobeResult) => {
      if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(data);
    });
  });
}
