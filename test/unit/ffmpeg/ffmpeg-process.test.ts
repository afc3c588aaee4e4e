/**
 * The process wrapper without processes: fluent-ffmpeg's runner (`_spawnFfmpeg`) is replaced by a spy that
 * records what it was asked to spawn and hands back a fake child. This is the "fluent-ffmpeg gets exactly our
 * argv" check; test/integration/ffmpeg-process.test.ts repeats it with a real spawn of a fake ffmpeg.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildCaptureCommand,
  buildFragmentedMp4Output,
  buildX11PulseInputs,
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_VIDEO_PROFILE_720P,
} from '../../../src/ffmpeg/capture-args.ts';
import { type FfmpegCommandSpec, toArgv } from '../../../src/ffmpeg/command-spec.ts';
import { runFfmpeg, startFfmpeg } from '../../../src/ffmpeg/ffmpeg-process.ts';
import { findSetpriv, planSpawn } from '../../../src/process/spawn-plan.ts';
import type { FfmpegLine } from '../../../src/ffmpeg/progress-parser.ts';

type EndCB = (err: Error | null) => void;
interface SpawnCall {
  program: string | undefined;
  args: string[];
  options: Record<string, unknown>;
  child: FakeChild;
  end: EndCB;
}

class FakeChild extends EventEmitter {
  pid: number | undefined = 4242;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stderr = new PassThrough();
  readonly kills: string[] = [];
  constructor() {
    super();
    this.stderr.setEncoding('utf8');
  }
  kill(signal: string): boolean {
    this.kills.push(signal);
    return true;
  }
  /** What fluent does once the process exited and stderr closed. */
  finish(call: SpawnCall, code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    call.end(code === 0 ? null : new Error(`ffmpeg exited with code ${code}`));
  }
}

const spec: FfmpegCommandSpec = buildCaptureCommand({
  inputs: buildX11PulseInputs({ display: ':12', width: 1280, height: 720, fps: 30, pulseSource: 'scriba.monitor', audioOffsetMs: -20 }),
  outputs: [buildFragmentedMp4Output('/rec/with space/s1.mp4', DEFAULT_VIDEO_PROFILE_720P, DEFAULT_AUDIO_PROFILE)],
});

let calls: SpawnCall[];

beforeEach(() => {
  calls = [];
  const proto = (ffmpeg as unknown as { prototype: object }).prototype;
  vi.spyOn(proto as { _spawnFfmpeg: (...a: unknown[]) => void }, '_spawnFfmpeg').mockImplementation(function (
    this: { _getFfmpegPath(cb: (e: Error | null, p?: string) => void): void },
    ...a: unknown[]
  ) {
    const [args, options, processCB, endCB] = a as [string[], Record<string, unknown>, (p: ChildProcess) => void, EndCB];
    let program: string | undefined;
    this._getFfmpegPath((_e, p) => {
      program = p;
    });
    const child = new FakeChild();
    calls.push({ program, args, options, child, end: endCB });
    processCB(child as unknown as ChildProcess);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const lastCall = (): SpawnCall => {
  const call = calls.at(-1);
  if (call === undefined) throw new Error('nothing was spawned');
  return call;
};

describe('what fluent-ffmpeg is asked to spawn', () => {
  it('exactly toArgv(spec), with our env, no stdin/stdout, own process group', () => {
    const handle = startFfmpeg(spec, {
      killOnParentDeath: false,
      env: { PULSE_SERVER: 'unix:/run/s1/pulse' },
      ffmpegPath: '/usr/bin/ffmpeg',
    });
    const call = lastCall();
    expect(call.program).toBe('/usr/bin/ffmpeg');
    expect(call.args).toEqual(toArgv(spec));
    expect(handle.argv).toEqual(toArgv(spec));
    expect(call.options).toMatchObject({
      env: { PULSE_SERVER: 'unix:/run/s1/pulse' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      captureStdout: false,
    });
    expect(handle.pid).toBe(4242);
  });

  it('through setpriv --pdeathsig when it is installed (it is on our Debian images)', () => {
    startFfmpeg(spec);
    const setpriv = findSetpriv();
    const call = lastCall();
    if (setpriv === null) {
      expect(call.args).toEqual(toArgv(spec));
    } else {
      expect(call.program).toBe(setpriv);
      expect(call.args).toEqual(['--pdeathsig', 'SIGKILL', '--', 'ffmpeg', ...toArgv(spec)]);
    }
  });

  it('the spawn plan (planSpawn) only prefixes', () => {
    expect(planSpawn('ffmpeg', ['-i', 'a', 'b'], null)).toEqual({ program: 'ffmpeg', args: ['-i', 'a', 'b'] });
    expect(planSpawn('/opt/ff', ['-i', 'a', 'b'], '/usr/bin/setpriv')).toEqual({
      program: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'SIGKILL', '--', '/opt/ff', '-i', 'a', 'b'],
    });
  });

  it("fluent's own builder would reorder: globals after the inputs and an extra -y (why we bypass it)", () => {
    vi.restoreAllMocks();
    const command = ffmpeg();
    for (const input of spec.inputs) command.input(input.source).inputOptions([...input.options]);
    command.outputOptions([...spec.globalOptions]); // there is no public "global options" call
    for (const output of spec.outputs) command.output(output.target).outputOptions([...output.options]);
    expect(command._getArguments()).not.toEqual(toArgv(spec));
    expect(command._getArguments().slice(0, 2)).toEqual(['-f', 'x11grab']);
    expect(command._getArguments().filter((a) => a === '-y')).toHaveLength(2);
  });
});

describe('stderr handling', () => {
  it('classifies lines across chunk boundaries and keeps progress, liveness and a tail', async () => {
    let clock = 1_000;
    const lines: FfmpegLine[] = [];
    const progress: number[] = [];
    const handle = startFfmpeg(spec, {
      killOnParentDeath: false,
      now: () => clock,
      stderrTailLines: 2,
      onLine: (l) => lines.push(l),
      onProgress: (p) => progress.push(p.frame),
    });
    const call = lastCall();
    call.child.stderr.write(
      "[info] Input #0, x11grab, from ':12+0,0':\n[warning] Guessed Channel Layout for Input Stream #1.0 : stereo\n[info] fr",
    );
    call.child.stderr.write('ame=    1 fps=0.0 q=0.0 size=       1kB time=00:00:00.68 bitrate=  14.6kbits/s speed=29.1x    \r');
    await new Promise((r) => setImmediate(r));
    clock = 2_000;
    call.child.stderr.write(
      '[info] frame=   47 fps=0.0 q=29.0 size=       1kB time=00:00:00.93 bitrate=  10.6kbits/s dup=27 drop=25 speed=1.76x    \r',
    );
    await new Promise((r) => setImmediate(r));
    clock = 3_000;
    call.child.stderr.write(
      '[info] frame=   47 fps=0.0 q=29.0 size=       1kB time=00:00:00.96 bitrate=  10.6kbits/s dup=27 drop=25 speed=1.76x    \r[info] Exiting normally',
    );
    await new Promise((r) => setImmediate(r));

    expect(progress).toEqual([1, 47, 47]);
    expect(handle.lastProgress).toMatchObject({ frame: 47, timeSec: 0.96 });
    expect(handle.livenessMark).toEqual({ atMs: 2_000, frame: 47 }); // did not move on the repeated 47
    expect(handle.startedAtMs).toBe(1_000);

    call.child.finish(call, 0);
    const exit = await handle.exited;
    // the unterminated last line is flushed at the end
    expect(lines.map((l) => l.kind)).toEqual(['other', 'warning', 'progress', 'progress', 'progress', 'other']);
    expect(exit).toEqual({
      code: 0,
      signal: null,
      stoppedByUs: false,
      lastError: null,
      lastProgress: handle.lastProgress,
      stderrTail: ['Guessed Channel Layout for Input Stream #1.0 : stereo', 'Exiting normally'],
    });
  });

  it('a failed run: lastError is the last error line', async () => {
    const handle = startFfmpeg(spec, { killOnParentDeath: false });
    const call = lastCall();
    call.child.stderr.write('[x11grab @ 0x5604] [error] Cannot open display :12+0,0, error 1.\n[error] :12+0,0: Input/output error\n');
    await new Promise((r) => setImmediate(r));
    call.child.finish(call, 1);
    expect(await handle.exited).toMatchObject({ code: 1, signal: null, stoppedByUs: false, lastError: ':12+0,0: Input/output error' });
  });

  it('a failed run without an error line: lastError is its last line; a spawn failure: the spawn error', async () => {
    const a = startFfmpeg(spec, { killOnParentDeath: false });
    const ca = lastCall();
    ca.child.stderr.write('setpriv: failed to execute ffmpeg\n');
    await new Promise((r) => setImmediate(r));
    ca.child.finish(ca, 127);
    expect((await a.exited).lastError).toBe('setpriv: failed to execute ffmpeg');

    const b = startFfmpeg(spec, { killOnParentDeath: false, ffmpegPath: '/nope/ffmpeg' });
    const cb = lastCall();
    cb.child.pid = undefined;
    cb.end(new Error('spawn /nope/ffmpeg ENOENT'));
    expect(await b.exited).toMatchObject({ code: null, signal: null, lastError: 'spawn /nope/ffmpeg ENOENT' });
  });

  it('a synchronous spawn failure still resolves exited', async () => {
    const proto = (ffmpeg as unknown as { prototype: { _spawnFfmpeg: () => void } }).prototype;
    vi.mocked(proto._spawnFfmpeg).mockImplementationOnce(() => {
      throw new TypeError('The argument must be a string without null bytes');
    });
    const handle = startFfmpeg(spec, { killOnParentDeath: false });
    expect(handle.pid).toBeUndefined();
    expect(await handle.exited).toMatchObject({ code: null, lastError: 'The argument must be a string without null bytes' });
  });
});

describe('stopping', () => {
  it('stop(): SIGINT, then SIGKILL after killGraceMs; idempotent; exited resolves once', async () => {
    vi.useFakeTimers();
    const handle = startFfmpeg(spec, { killOnParentDeath: false, killGraceMs: 10_000 });
    const call = lastCall();
    const first = handle.stop();
    expect(handle.stop()).toBe(first);
    expect(first).toBe(handle.exited);
    expect(call.child.kills).toEqual(['SIGINT']);
    vi.advanceTimersByTime(9_999);
    expect(call.child.kills).toEqual(['SIGINT']);
    vi.advanceTimersByTime(1);
    expect(call.child.kills).toEqual(['SIGINT', 'SIGKILL']);
    call.child.finish(call, null, 'SIGKILL');
    expect(await first).toMatchObject({ code: null, signal: 'SIGKILL', stoppedByUs: true });
  });

  it('a clean stop clears the kill timer', async () => {
    vi.useFakeTimers();
    const handle = startFfmpeg(spec, { killOnParentDeath: false });
    const call = lastCall();
    void handle.stop();
    call.child.finish(call, 255);
    expect(await handle.exited).toMatchObject({ code: 255, stoppedByUs: true, lastError: null });
    vi.advanceTimersByTime(60_000);
    expect(call.child.kills).toEqual(['SIGINT']);
  });

  it('stop() after the process ended signals nothing and keeps stoppedByUs false', async () => {
    const handle = startFfmpeg(spec, { killOnParentDeath: false });
    const call = lastCall();
    call.child.finish(call, 0);
    await handle.exited;
    expect(await handle.stop()).toMatchObject({ code: 0, stoppedByUs: false });
    expect(call.child.kills).toEqual([]);
  });

  it('aborting the signal is stop()', async () => {
    const controller = new AbortController();
    const handle = startFfmpeg(spec, { killOnParentDeath: false, signal: controller.signal });
    const call = lastCall();
    controller.abort();
    controller.abort();
    expect(call.child.kills).toEqual(['SIGINT']);
    call.child.finish(call, 255);
    expect(await handle.exited).toMatchObject({ code: 255, stoppedByUs: true });
  });

  it('an already aborted signal spawns nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const handle = startFfmpeg(spec, { signal: controller.signal });
    expect(calls).toEqual([]);
    expect(handle.pid).toBeUndefined();
    expect(await handle.exited).toMatchObject({ code: null, signal: null, stoppedByUs: true });
  });
});

describe('runFfmpeg', () => {
  it('resolves on a clean exit, rejects with ffmpeg_failed otherwise, and with aborted on abort', async () => {
    const ok = runFfmpeg(spec, { killOnParentDeath: false });
    const c1 = lastCall();
    c1.child.finish(c1, 0);
    await expect(ok).resolves.toMatchObject({ code: 0 });

    const bad = runFfmpeg(spec, { killOnParentDeath: false, what: 'remux' });
    const c2 = lastCall();
    c2.child.stderr.write('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] [error] moov atom not found\n');
    await new Promise((r) => setImmediate(r));
    c2.child.finish(c2, 1);
    await expect(bad).rejects.toMatchObject({
      code: 'ffmpeg_failed',
      message: 'remux exited with code 1: [mov,mp4,m4a,3gp,3g2,mj2] moov atom not found',
    });

    const controller = new AbortController();
    const aborted = runFfmpeg(spec, { killOnParentDeath: false, signal: controller.signal });
    const c3 = lastCall();
    controller.abort();
    c3.child.finish(c3, 255);
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('media pipes and line redaction (the live-stream relay)', () => {
  it('asks for stdin/stdout pipes only when told, and hands them out', () => {
    const plain = startFfmpeg(spec, { killOnParentDeath: false });
    expect(lastCall().options['stdio']).toEqual(['ignore', 'ignore', 'pipe']);
    expect(plain.stdin).toBeNull();
    expect(plain.stdout).toBeNull();
    startFfmpeg(spec, { killOnParentDeath: false, stdin: 'pipe', stdout: 'pipe' });
    expect(lastCall().options['stdio']).toEqual(['pipe', 'pipe', 'pipe']);
  });

  it('redactLine runs before anything keeps or classifies a line', async () => {
    const seen: FfmpegLine[] = [];
    const handle = startFfmpeg(spec, {
      killOnParentDeath: false,
      redactLine: (l) => l.split('rtmp://h/live/s3cr3t').join('rtmp://h/live/***'),
      onLine: (l) => seen.push(l),
    });
    const call = lastCall();
    call.child.stderr.write("[info] Output #0, flv, to 'rtmp://h/live/s3cr3t':\n[error] rtmp://h/live/s3cr3t: Broken pipe\n");
    await new Promise((r) => setImmediate(r));
    call.child.finish(call, 1);
    const exit = await handle.exited;
    expect(JSON.stringify([seen, exit])).not.toContain('s3cr3t');
    expect(exit.lastError).toBe('rtmp://h/live/***: Broken pipe');
  });
});
