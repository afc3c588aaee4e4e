/**
 * The embedded offline engine: Debian's pocketsphinx_continuous (5prealpha) with its US English model, one
 * process per stream, PCM on stdin (`-infile /dev/stdin`: raw 16 kHz s16le, read as it comes), one final
 * result per utterance its voice activity detector finds (no interim results). About 0.25–0.35× real time on
 * one core while speech is present; silence costs little.
 *
 * Started under `setpriv --pdeathsig SIGKILL` when setpriv exists (see pocketsphinxSpawnPlan), so a crashed
 * worker leaves no recognizer behind. end() closes stdin (the process finishes the last phrase and exits);
 * one that does not exit within endTimeoutMs gets SIGTERM, then SIGKILL after killGraceMs.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.ts';
import { onAbort, settlesWithin } from '../lib/abort.ts';
import { findSetpriv, planSpawn, type SpawnPlan } from '../process/spawn-plan.ts';
import { childSignalSender, createStagedStop } from '../process/staged-stop.ts';
import { SampleAligner } from './pcm.ts';
import { LineSplitter, PocketsphinxUtteranceAssembler, type PocketsphinxUtterance } from './pocketsphinx-output.ts';
import { ResultChannel } from './result-channel.ts';
import type { SpeechEngine, SpeechResult, SpeechStartOptions, SpeechStream } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';

export interface PocketsphinxEngineOptions {
  /** Default 'pocketsphinx_continuous' (PATH). */
  readonly binaryPath?: string;
  /** Acoustic model directory, language model, dictionary; default: the package's own (en-us). */
  readonly hmmPath?: string;
  readonly lmPath?: string;
  readonly dictPath?: string;
  /** Languages the model serves, matched on the whole tag or its primary subtag. Default ['en']. */
  readonly languages?: readonly string[];
  /** How long end() waits for the process to finish the audio before stopping it. Default 30 s. */
  readonly endTimeoutMs?: number;
  /** SIGTERM → SIGKILL. Default 2 s. */
  readonly killGraceMs?: number;
  /** Default true (see the file comment). */
  readonly killOnParentDeath?: boolean;
  readonly logger?: Logger;
}

const STDERR_TAIL_CHARS = 4096;
/** A hypothesis without its closing </s> line is completed after this much quiet on stdout. */
const UTTERANCE_IDLE_FLUSH_MS = 300;

export function createPocketsphinxEngine(options: PocketsphinxEngineOptions = {}): SpeechEngine {
  const languages = (options.languages ?? ['en']).map((l) => l.toLowerCase());
  const live = new Set<PocketsphinxStream>();
  let closed = false;
  return {
    name: 'pocketsphinx',
    start(startOptions) {
      if (closed) throw new SpeechEngineError('engine_failed', 'the pocketsphinx engine is closed');
      const tag = startOptions.language.toLowerCase();
      if (!languages.includes(tag) && !languages.includes(tag.split('-')[0] ?? '')) {
        throw new SpeechEngineError(
          'unsupported_language',
          `pocketsphinx has no model for ${startOptions.language} (configured: ${languages.join(', ')})`,
        );
      }
      const stream = new PocketsphinxStream(options, startOptions, () => live.delete(stream));
      live.add(stream);
      return stream;
    },
    async close() {
      closed = true;
      await Promise.all([...live].map((s) => s.abort()));
    },
  };
}

/** pocketsphinx_continuous arguments. Pure. */
export function pocketsphinxArgs(options: Pick<PocketsphinxEngineOptions, 'hmmPath' | 'lmPath' | 'dictPath'>): string[] {
  return [
    '-infile',
    '/dev/stdin', // raw s16le at -samprate (16000 default), read as it arrives; must be a pipe or file
    '-time',
    'yes', // a segment line per word with its times and posterior
    ...(options.hmmPath === undefined ? [] : ['-hmm', options.hmmPath]),
    ...(options.lmPath === undefined ? [] : ['-lm', options.lmPath]),
    ...(options.dictPath === undefined ? [] : ['-dict', options.dictPath]),
    // No -logfn: its log (config dump, per-utterance INFO) goes to stderr, whose tail explains failures.
  ];
}

export type { SpawnPlan };

/**
 * How to start the recognizer. Pure. Node's stdio pipes are socketpairs, which pocketsphinx cannot open by
 * path (`fopen("/dev/stdin")` on a socket fails with ENXIO), so bash puts a real pipe in between: `cat`
 * copies our socket into it through process substitution, and bash execs pocketsphinx, whose pid is the
 * spawned one. With setpriv, both pocketsphinx and cat die with their parent.
 */
export function pocketsphinxSpawnPlan(binary: string, args: readonly string[], setpriv: string | null): SpawnPlan {
  const cat = planSpawn('cat', [], setpriv);
  return planSpawn('bash', ['-c', `exec "$@" < <(exec ${[cat.program, ...cat.args].join(' ')})`, 'pocketsphinx', binary, ...args], setpriv);
}

function toResult(u: PocketsphinxUtterance): SpeechResult {
  return { final: true, text: u.text, confidence: u.confidence, startSec: u.startSec, endSec: u.endSec, words: u.words };
}

class PocketsphinxStream implements SpeechStream {
  readonly results: ResultChannel<SpeechResult> = new ResultChannel<SpeechResult>();
  readonly #options: PocketsphinxEngineOptions;
  readonly #label: string;
  readonly #aligner = new SampleAligner();
  readonly #assembler = new PocketsphinxUtteranceAssembler();
  readonly #lines = new LineSplitter();
  readonly #child: ReturnType<typeof spawn>;
  readonly #exited: Promise<void>;
  #stderr = '';
  #failure: unknown = null;
  #ending: Promise<void> | null = null;
  #stopping = false;
  readonly #stagedStop: (graceMs: number) => Promise<void>;
  #idleTimer: NodeJS.Timeout | null = null;
  #lastEndSec = 0;
  /** Removes the signal's abort listener (once the process is gone). */
  #stopListening = (): void => undefined;

  constructor(options: PocketsphinxEngineOptions, start: SpeechStartOptions, onGone: () => void) {
    this.#options = options;
    this.#label = start.label ?? 'stream';
    const binary = options.binaryPath ?? 'pocketsphinx_continuous';
    const args = pocketsphinxArgs(options);
    const plan = pocketsphinxSpawnPlan(binary, args, (options.killOnParentDeath ?? true) ? findSetpriv() : null);
    this.#child = spawn(plan.program, plan.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // A write after the process died raises EPIPE here; the exit handler reports the death.
    this.#child.stdin?.on('error', () => {});
    this.#child.stdout?.setEncoding('utf8');
    this.#child.stdout?.on('data', (chunk: string) => this.#onStdout(chunk));
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const stdoutDone = new Promise<void>((resolve) => {
      if (this.#child.stdout === null) resolve();
      else this.#child.stdout.once('close', resolve);
    });
    this.#exited = new Promise<void>((resolve) => {
      this.#child.once('error', (err) => {
        this.#fail(new SpeechEngineError('engine_failed', `cannot start ${binary}: ${err.message}`, { cause: err }));
        resolve();
      });
      this.#child.once('exit', (code, signal) => {
        // stdout may still hold the last utterance: read it all before judging the exit.
        void stdoutDone.then(() => {
          this.#onExit(code, signal);
          resolve();
        });
      });
    }).finally(() => {
      this.#child.stdin?.destroy(); // lets cat (between us and pocketsphinx) see EOF even without setpriv
      if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
      this.#stopListening();
      onGone();
    });
    this.#stagedStop = createStagedStop(
      childSignalSender(() => this.#child),
      this.#exited,
      'SIGTERM',
    );
    this.#stopListening = onAbort(start.signal, () => void this.abort());
    options.logger?.debug({ label: this.#label, pid: this.#child.pid }, 'pocketsphinx started');
  }

  write(pcm: Buffer): void {
    if (this.#ending !== null || this.#failure !== null || this.#stopping) return;
    const aligned = this.#aligner.push(pcm);
    if (aligned.length > 0) this.#child.stdin?.write(aligned);
  }

  end(): Promise<void> {
    this.#ending ??= (async () => {
      this.#child.stdin?.end();
      const timeoutMs = this.#options.endTimeoutMs ?? 30_000;
      if (!(await settlesWithin(this.#exited, timeoutMs))) {
        this.#fail(new SpeechEngineError('engine_failed', `pocketsphinx did not finish within ${timeoutMs} ms of end()`));
        await this.kill();
      }
      await this.#exited;
      if (this.#failure !== null) throw this.#failure;
    })();
    return this.#ending;
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  kill(): Promise<void> {
    this.#stopping = true;
    return this.#stagedStop(this.#options.killGraceMs ?? 2_000);
  }

  /** What the signal's abort does: discard the stream and kill the process. */
  abort(): Promise<void> {
    this.#fail(speechAborted(this.#label));
    return this.kill();
  }

  #onStdout(chunk: string): void {
    for (const line of this.#lines.push(chunk)) this.#emit(this.#assembler.push(line));
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#assembler.hasPending ? setTimeout(() => this.#emit(this.#assembler.flush()), UTTERANCE_IDLE_FLUSH_MS) : null;
  }

  #emit(utterances: readonly PocketsphinxUtterance[]): void {
    if (this.#failure !== null) return;
    for (const u of utterances) {
      // Utterances come in order and never overlap; the clamp only guards the promise made in SpeechResult.
      const startSec = Math.max(u.startSec, this.#lastEndSec);
      this.#lastEndSec = Math.max(u.endSec, startSec);
      this.results.push(toResult({ ...u, startSec, endSec: this.#lastEndSec }));
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    for (const line of this.#lines.end()) this.#emit(this.#assembler.push(line));
    this.#emit(this.#assembler.flush());
    if (code === 0 && this.#ending !== null) {
      this.results.close();
      return;
    }
    const errorLine =
      this.#stderr
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('ERROR:')) ??
      this.#stderr.trim().split('\n').at(-1) ??
      '';
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    this.#fail(new SpeechEngineError('engine_failed', `pocketsphinx (${this.#label}) ${how}${errorLine === '' ? '' : `: ${errorLine}`}`));
  }

  #fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.results.fail(error);
    if (this.#ending === null) {
      // Nobody may ever call end(): keep its eventual rejection from being reported as unhandled.
      this.#ending = Promise.reject(error);
      this.#ending.catch(() => {});
    }
    void this.kill();
  }
}
