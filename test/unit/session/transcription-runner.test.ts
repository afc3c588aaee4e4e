/** The runner with a scripted page and a fake engine: one stream per speaker, times on the recording. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toArgv, type FfmpegCommandSpec, type FfmpegExit, type FfmpegHandle, type StartFfmpegOptions } from '../../../src/ffmpeg/index.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { TranscriptionRunner, type TranscriptionRunnerOptions } from '../../../src/session/transcription-runner.ts';
import type { AudioTapPage } from '../../../src/transcription/audio-tap.ts';
import type { SpeakerPhrase, SpeechEngine, SpeechResult, SpeechStartOptions } from '../../../src/transcription/index.ts';

const T0 = 1_700_000_000_000;
const log = createLogger({ level: 'silent' });

/**
 * Emits one final result per 1 s of audio written, "<label> <n>", over that second; flushes on end(). With
 * `interims`, an interim "<label> <n>…" over its first half comes before each final.
 */
function fakeEngine(interims = false): SpeechEngine & { starts: SpeechStartOptions[] } {
  const starts: SpeechStartOptions[] = [];
  return {
    name: 'fake',
    starts,
    start(o) {
      starts.push(o);
      const queue: SpeechResult[] = [];
      let wake: (() => void) | null = null;
      let done = false;
      let written = 0;
      let n = 0;
      const emit = (endSec: number): void => {
        if (interims)
          queue.push({ final: false, text: `${o.label} ${n + 1}…`, confidence: null, startSec: endSec - 1, endSec: endSec - 0.5 });
        queue.push({ final: true, text: `${o.label} ${++n}`, confidence: 0.5, startSec: endSec - 1, endSec });
        wake?.();
      };
      return {
        write(pcm) {
          const before = Math.floor(written / 32_000);
          written += pcm.length;
          for (let s = before + 1; s <= Math.floor(written / 32_000); s++) emit(s);
        },
        async end() {
          done = true;
          wake?.();
        },
        results: (async function* () {
          for (;;) {
            if (queue.length > 0) yield queue.shift()!;
            else if (done) return;
            else await new Promise<void>((r) => (wake = r));
          }
        })(),
      };
    },
    async close() {},
  };
}

function scriptedPage(ok = true): AudioTapPage & { send(m: unknown): void } {
  let onMessage: (m: unknown) => void = () => {};
  return {
    async startAudioTap(cb) {
      onMessage = cb;
      return ok
        ? { ok: true, processor: 'audio-worklet', contextSampleRate: 16_000 }
        : { ok: false, reason: 'no_conference', detail: 'no APP' };
    },
    async stopAudioTap() {
      return true;
    },
    whenDead: () => new Promise(() => {}),
    send: (m) => onMessage(m),
  };
}

const chunk = (id: string, atMs: number, continuous: boolean, ms = 200) => ({
  type: 'chunk',
  id,
  startEpochMs: T0 + atMs,
  continuous,
  sampleRate: 16_000,
  pcm: Buffer.alloc(ms * 32).toString('base64'),
});

const participant = (id: string, name: string | null, state: 'joined' | 'left') => ({ type: 'participant', id, name, state });

/** A runner on a fresh scripted page and fake engine, its zero at T0; each test names what it varies. */
const newRunner = (o: Partial<TranscriptionRunnerOptions> = {}) =>
  new TranscriptionRunner({
    page: scriptedPage(),
    captureStartedAtMs: T0,
    engine: fakeEngine(),
    language: 'en',
    room: 'r',
    signal: new AbortController().signal,
    log,
    ...o,
  });

describe('TranscriptionRunner', () => {
  it('runs one stream per speaker, maps phrases onto the recording, drops audio before its zero', async () => {
    const page = scriptedPage();
    const engine = fakeEngine();
    const live: SpeakerPhrase[] = [];
    const runner = newRunner({
      page,
      engine,
      language: 'en-US',
      room: 'standup',
      onPhrase: (p) => live.push(p),
      knownName: (id) => (id === 'b' ? 'Bob' : null),
    });
    expect(await runner.start()).toBe(true);
    page.send(participant('a', 'Alice', 'joined'));
    page.send(participant('b', null, 'joined'));
    page.send(chunk('a', -200, false)); // before the recording: dropped
    for (let ms = 0; ms < 1000; ms += 200) page.send(chunk('a', ms, ms > 0));
    // b: 1 s at 2 s, muted 3 s, 1 s at 6 s
    for (let ms = 2000; ms < 3000; ms += 200) page.send(chunk('b', ms, ms > 2000));
    for (let ms = 6000; ms < 7000; ms += 200) page.send(chunk('b', ms, ms > 6000));
    page.send(participant('a', 'Alice', 'left'));
    const t = await runner.stop(T0 + 10_000);
    expect(engine.starts.map((s) => [s.label, s.language])).toEqual([
      ['a', 'en-US'],
      ['b', 'en-US'],
    ]);
    expect(live).toHaveLength(3);
    expect(t.events.map((e) => e.kind === 'speech' && [e.speaker.name, e.startSec, e.endSec, e.text])).toEqual([
      ['Alice', 0, 1, 'a 1'],
      ['Bob', 2, 3, 'b 1'],
      ['Bob', 6, 7, 'b 2'],
    ]);
    expect(t).toMatchObject({ room: 'standup', startedAtMs: T0, endedAtMs: T0 + 10_000, language: 'en-US', engine: 'fake' });
    expect(t.participants).toEqual([
      { id: 'a', name: 'Alice' },
      { id: 'b', name: 'Bob' },
    ]);
    expect(runner.phraseCount).toBe(3);
  });

  it('hands interim results to onInterim on the recording’s timeline, never to the transcript', async () => {
    const page = scriptedPage();
    const finals: SpeakerPhrase[] = [];
    const interims: SpeakerPhrase[] = [];
    const runner = newRunner({
      page,
      engine: fakeEngine(true),
      language: 'en-US',
      room: 'standup',
      onPhrase: (p) => finals.push(p),
      onInterim: (p) => interims.push(p),
    });
    expect(await runner.start()).toBe(true);
    page.send(participant('a', 'Alice', 'joined'));
    for (let ms = 3000; ms < 5000; ms += 200) page.send(chunk('a', ms, ms > 3000));
    const t = await runner.stop(T0 + 6_000);
    expect(interims.map((p) => [p.result.final, p.result.text, p.result.startSec, p.result.endSec])).toEqual([
      [false, 'a 1…', 3, 3.5],
      [false, 'a 2…', 4, 4.5],
    ]);
    expect(finals.map((p) => p.result.text)).toEqual(['a 1', 'a 2']);
    expect(t.events.filter((e) => e.kind === 'speech').map((e) => e.kind === 'speech' && e.text)).toEqual(['a 1', 'a 2']);
    expect(runner.phraseCount).toBe(2);
  });

  it('withdraws interims whose utterance ends without a final: empty final, stream end or failure', async () => {
    const r = (final: boolean, text: string, startSec: number, endSec: number): SpeechResult => ({
      final,
      text,
      confidence: null,
      startSec,
      endSec,
    });
    // a: noise (empty final), then a phrase, then interims cut by the stream's end; b: interims, then a failure.
    const scripts: Record<string, Array<SpeechResult | Error>> = {
      a: [
        r(false, 'um', 0, 0.2),
        r(false, 'um so', 0, 0.4),
        r(true, '', 0.5, 0.5),
        r(false, 'hi', 0.5, 0.6),
        r(true, 'hi', 0.5, 0.8),
        r(false, 'and', 0.9, 1),
      ],
      b: [r(false, 'well', 0, 0.3), new Error('engine died')],
    };
    const engine: SpeechEngine = {
      name: 'scripted',
      start(o) {
        let finish: () => void = () => {};
        const ended = new Promise<void>((resolve) => (finish = resolve));
        return {
          write() {},
          async end() {
            finish();
          },
          results: (async function* () {
            for (const item of scripts[o.label!]!) {
              if (item instanceof Error) throw item;
              yield item;
            }
            await ended;
          })(),
        };
      },
      async close() {},
    };
    const page = scriptedPage();
    const finals: SpeakerPhrase[] = [];
    const interims: SpeakerPhrase[] = [];
    const runner = newRunner({
      page,
      engine,
      language: 'en-US',
      onPhrase: (p) => finals.push(p),
      onInterim: (p) => interims.push(p),
      // Recorded as '' after the interims: the withdrawal names the last interim shown.
      onWithdraw: (last) => interims.push({ ...last, result: { ...last.result, text: '' } }),
    });
    await runner.start();
    page.send(participant('a', 'Alice', 'joined'));
    page.send(participant('b', 'Bob', 'joined'));
    page.send(chunk('a', 1000, false, 1000));
    page.send(chunk('b', 1000, false, 1000));
    const t = await runner.stop(T0 + 3000);
    const seen = (id: string) =>
      interims.filter((p) => p.speaker.id === id).map((p) => [p.result.text, p.result.startSec, p.result.endSec]);
    expect(seen('a')).toEqual([
      ['um', 1, 1.2],
      ['um so', 1, 1.4],
      ['', 1, 1.4], // the empty final: withdrawn, on the last interim's span
      ['hi', 1.5, 1.6],
      ['and', 1.9, 2],
      ['', 1.9, 2], // the stream's end
    ]);
    expect(seen('b')).toEqual([
      ['well', 1, 1.3],
      ['', 1, 1.3], // the failure
    ]);
    expect(finals.map((p) => p.result.text)).toEqual(['hi']);
    expect(t.events.filter((e) => e.kind === 'speech').map((e) => e.kind === 'speech' && e.text)).toEqual(['hi']);
  });

  it('withdraws nothing after a final', async () => {
    const withdrawn: SpeakerPhrase[] = [];
    const page = scriptedPage();
    const interims: SpeakerPhrase[] = [];
    const runner = newRunner({
      page,
      engine: fakeEngine(true),
      language: 'en-US',
      onInterim: (p) => interims.push(p),
      onWithdraw: (last) => withdrawn.push(last),
    });
    await runner.start();
    page.send(participant('a', 'A', 'joined'));
    page.send(chunk('a', 0, false, 1000));
    await runner.stop(T0 + 2000);
    // Each interim was followed by its final: nothing to withdraw at the end.
    expect(interims.map((p) => p.result.text)).toEqual(['a 1…']);
    expect(withdrawn).toEqual([]);
  });

  it('opens a new stream when a participant comes back', async () => {
    const page = scriptedPage();
    const engine = fakeEngine();
    const runner = newRunner({ page, engine });
    await runner.start();
    page.send(participant('a', 'A', 'joined'));
    page.send(chunk('a', 0, false, 1000));
    page.send(participant('a', 'A', 'left'));
    page.send(participant('a', 'A', 'joined'));
    page.send(chunk('a', 5000, false, 1000));
    const t = await runner.stop(T0 + 7000);
    expect(engine.starts).toHaveLength(2);
    expect(t.events.map((e) => e.startSec)).toEqual([0, 5]);
  });

  it('gives an empty transcript when the tap cannot start', async () => {
    const runner = newRunner({ page: scriptedPage(false) });
    expect(await runner.start()).toBe(false);
    const t = await runner.stop(T0 + 1000);
    expect(t.events).toEqual([]);
  });

  it('falls back to the mixed audio as one "mixed" speaker when the tap cannot start', async () => {
    const engine = fakeEngine();
    const stdout = new PassThrough();
    const spawned: Array<{ argv: string[]; opts: StartFfmpegOptions }> = [];
    let stopped = false;
    const exit: FfmpegExit = { code: 255, signal: null, stoppedByUs: true, lastError: null, lastProgress: null, stderrTail: [] };
    const start = (spec: FfmpegCommandSpec, opts: StartFfmpegOptions = {}): FfmpegHandle => {
      spawned.push({ argv: toArgv(spec), opts });
      const stop = async (): Promise<FfmpegExit> => {
        stopped = true;
        stdout.end(Buffer.alloc(16_000)); // its last 0.5 s, written at SIGINT
        return exit;
      };
      return {
        pid: 1,
        exited: new Promise(() => {}),
        stop,
        argv: toArgv(spec),
        startedAtMs: T0,
        lastProgress: null,
        livenessMark: null,
        stderrTail: () => [],
        stdin: null,
        stdout,
      };
    };
    let clock = T0 + 2500;
    const runner = newRunner({
      page: scriptedPage(false),
      engine,
      mixedAudio: { pulseSource: 'scriba.monitor', env: { PULSE_SERVER: 'unix:/x' }, start },
      now: () => clock,
    });
    expect(await runner.start()).toBe(true);
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.argv).toContain('scriba.monitor');
    expect(spawned[0]!.opts).toMatchObject({ env: { PULSE_SERVER: 'unix:/x' }, stdout: 'pipe' });
    // First read at 2.5 s holds 0.5 s → the run starts at 2 s; a split sample is carried.
    stdout.write(Buffer.alloc(16_001));
    clock += 5000; // later reads follow by sample count, not by arrival
    stdout.write(Buffer.alloc(31_999));
    await new Promise((r) => setImmediate(r));
    const t = await runner.stop(T0 + 10_000);
    expect(stopped).toBe(true);
    expect(engine.starts.map((s) => s.label)).toEqual(['mixed']);
    expect(t.participants).toEqual([{ id: 'mixed', name: 'Meeting' }]);
    expect(t.events.map((e) => e.kind === 'speech' && [e.speaker.id, e.speaker.name, e.startSec, e.endSec])).toEqual([
      ['mixed', 'Meeting', 2, 3],
      ['mixed', 'Meeting', 3, 4],
    ]);
  });
});
