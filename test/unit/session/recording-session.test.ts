import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { ScribaError } from '../../../src/domain/errors.ts';
import type { JobKind } from '../../../src/domain/job-request.ts';
import { parseMeetingUrl } from '../../../src/domain/meeting-target.ts';
import type { SessionState } from '../../../src/domain/session-state.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { RecordingSession } from '../../../src/session/recording-session.ts';
import { sessionOutputs } from '../../../src/session/session-outputs.ts';
import type { RecordingRequest, SessionPhrase, StreamStatus } from '../../../src/session/session-types.ts';
import { FakeRuntime, type FakeOptions, type FakeStep } from './fake-runtime.ts';

const config = loadConfig({ env: {}, overrides: { recordingsDir: '/rec', workDir: '/work', logLevel: 'debug' } });
const STREAM_URL = 'rtmp://live.example.com/app/streamkey123';
const SECRETS = ['streamkey123', 'pw-secret-1', 'jwtsecret42'];

function request(kinds: readonly JobKind[]): RecordingRequest {
  return {
    sessionId: 's1',
    target: parseMeetingUrl('https://meet.example.com/acme/room?jwt=jwtsecret42', false),
    login: null,
    roomPassword: 'pw-secret-1',
    resolution: '720p',
    maxDurationSec: 60,
    outputs: sessionOutputs(
      kinds.map((kind) =>
        kind === 'file'
          ? { kind, resolution: '720p' as const }
          : kind === 'stream'
            ? { kind, url: STREAM_URL, youtubeBroadcastId: null }
            : { kind, language: 'en-US' },
      ),
    ),
    fileRecordingMetadata: {},
  };
}

function setUp(kinds: readonly JobKind[], options: FakeOptions = {}) {
  const fake = new FakeRuntime(options);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const session = new RecordingSession(request(kinds), {
    config,
    runtime: fake.runtime(),
    logger: createLogger({ level: 'debug', destination }),
  });
  const seen = { states: [] as SessionState[], files: [] as string[], streams: [] as StreamStatus[], phrases: [] as SessionPhrase[] };
  session.on('state', (s) => seen.states.push(s));
  session.on('file', (f) => seen.files.push(f.path));
  session.on('stream', (s) => seen.streams.push(s));
  session.on('phrase', (p) => seen.phrases.push(p));
  return { fake, session, seen, lines };
}

const stopWhenRunning = (session: RecordingSession, before: () => void = () => {}) =>
  session.on('state', (s) => {
    if (s.status !== 'running') return;
    before();
    session.stop();
  });

const START = [
  'scratch.create',
  'prepare',
  'capture.prepared',
  'launch',
  'browser.launched',
  'openTab',
  'page.created',
  'open',
  'join',
  'page.participants',
  'files.makeDir',
  'file.sink',
  'stream.sink',
  'ffmpeg.start',
  'file.start',
  'stream.start',
  'frame',
  'files.writeMetadata',
  'engine',
  'engine.created',
  'runner.created',
  'runner.start',
];

const TEARDOWN = [
  'ffmpeg.stop',
  'stream.finalize',
  'runner.stop',
  'files.writeTranscript',
  'engine.close',
  'page.participants',
  'page.leave',
  'browser.close',
  'capture.close',
  'file.finalize',
  'files.writeMetadata',
  'scratch.remove',
];

describe('RecordingSession with a fake runtime', () => {
  it('starts every output, emits its events, and tears down in order', async () => {
    const { fake, session, seen } = setUp(['file', 'stream', 'transcription']);
    let pids: number[] = [];
    stopWhenRunning(session, () => {
      pids = session.pids();
      fake.streamStatus!({ status: 'connected', reconnects: 0 });
    });
    const result = await session.run();

    expect(fake.calls).toEqual([...START, ...TEARDOWN]);
    expect(fake.leaks()).toEqual([]);
    expect(pids.sort()).toEqual([101, 202, 303, 404]);
    expect(result).toMatchObject({
      status: 'finished',
      reason: 'requested',
      failure: null,
      file: { path: expect.stringMatching(/^\/rec\/s1\//), sizeBytes: 1234 },
      metadataFile: expect.stringMatching(/^\/rec\/s1\/.*metadata\.json$/),
      stream: { connects: 1, end: { code: 'stopped' } },
      transcript: { phrases: 1, files: { json: expect.stringMatching(/\.transcript\.json$/) } },
      durationSec: 5,
      participants: [{ id: 'a', name: 'Alice' }],
    });
    expect(seen.states.map((s) => (s.status === 'starting' ? s.step : s.status))).toEqual([
      'launching',
      'joining',
      'capturing',
      'running',
      'stopping',
      'finished',
    ]);
    expect(seen.files).toEqual([result.file!.path]);
    expect(seen.streams).toEqual([{ status: 'connected', reconnects: 0 }]);
    expect(seen.phrases).toEqual([
      expect.objectContaining({ speaker: { id: 'a', name: 'Alice' }, text: 'hello', startSec: 1, endSec: 2, language: 'en-US' }),
    ]);
    expect(fake.presence).toEqual([{ session_id: 's1', mode: 'FILE' }]);
    expect(fake.runnerOptions).toMatchObject({ language: 'en-US', room: 'room', mixedAudio: { pulseSource: 'scriba.monitor' } });
    // metadata.json while recording, then at the end: the stream target redacted, no secret anywhere.
    expect(fake.metadata.map((m) => (m['scriba'] as { status: string }).status)).toEqual(['recording', 'finished']);
    expect(fake.metadata[1]).toMatchObject({
      participants: [{ id: 'a', name: 'Alice' }],
      scriba: { stream: { target: 'rtmp://live.example.com/app/***', connects: 1 } },
    });
    for (const secret of SECRETS) expect(JSON.stringify(fake.metadata)).not.toContain(secret);
  });

  const phases: FakeStep[] = ['prepare', 'launch', 'openTab', 'open', 'join', 'frame', 'engine', 'runner.start'];
  const beforeCapture = new Set<FakeStep>(['prepare', 'launch', 'openTab', 'open', 'join']);
  describe.each([
    ['a step the stop cuts short', false],
    ['a step that completes anyway', true],
  ])('a stop during each start phase (%s)', (_name, ignoresAbort) => {
    it.each(phases)('during %s: releases all it acquired and finishes as requested', async (step) => {
      const { fake, session, seen } = setUp(['file', 'stream', 'transcription'], { hold: [step], ignoresAbort });
      const run = session.run();
      await fake.reached(step);
      session.stop();
      fake.release(step); // steps without the stop signal (openTab, frame, engine, runner.start) end here
      const result = await run;

      expect(result).toMatchObject({ status: 'finished', reason: 'requested', failure: null });
      expect(seen.states.at(-1)).toEqual({ status: 'finished', reason: 'requested' });
      expect(fake.leaks()).toEqual([]);
      expect(fake.calls.at(-1)).toBe('scratch.remove');
      if (beforeCapture.has(step)) {
        // Nothing was captured: no file, no metadata, and the stream says it never started.
        expect(fake.calls).not.toContain('ffmpeg.start');
        expect(result.file).toBeNull();
        expect(fake.metadata).toEqual([]);
        expect(result.stream?.end).toMatchObject({ code: 'not_started', error: false });
        expect(seen.streams).toEqual([expect.objectContaining({ status: 'ended', code: 'not_started' })]);
      } else {
        expect(result.file).not.toBeNull();
        expect(result.stream?.end.code).toBe('stopped');
      }
      if (step === 'prepare' && !ignoresAbort) expect(fake.calls).toEqual(['scratch.create', 'prepare', 'scratch.remove']);
    });
  });

  it('a failing teardown step does not skip the rest', async () => {
    const failRelease = [
      'ffmpeg.stop',
      'stream.finalize',
      'runner.stop',
      'page.leave',
      'browser.close',
      'capture.close',
      'file.finalize',
    ] as const;
    const { fake, session, lines } = setUp(['file', 'stream', 'transcription'], { failRelease });
    stopWhenRunning(session);
    const result = await session.run();

    expect(result).toMatchObject({ status: 'finished', reason: 'requested', failure: null, file: null });
    // Every step ran, in order; the file step failed, so the recording's directory is removed instead.
    expect(fake.calls.slice(START.length)).toEqual([
      'ffmpeg.stop',
      'stream.finalize',
      'runner.stop',
      'engine.close',
      'page.participants',
      'page.leave',
      'browser.close',
      'capture.close',
      'file.finalize',
      'files.removeRecording',
      'scratch.remove',
    ]);
    const failed = lines.filter((l) => l.includes('cleanup step')).map((l) => /cleanup step \\?"([^"\\]+)\\?" failed/.exec(l)?.[1]);
    // Leaving is best effort within a time limit: its failure is not a failed step.
    expect(failed).toEqual([
      'stop ffmpeg',
      'finish stream',
      'finish transcription',
      'close browser',
      'stop capture helpers',
      'finalize file',
    ]);
  });

  it('a failing start step fails the session with its message scrubbed of secrets, and releases everything', async () => {
    const error = new ScribaError('join_timeout', `no join at ${STREAM_URL} (password pw-secret-1, token jwtsecret42)`, {
      retryable: true,
    });
    const { fake, session, seen, lines } = setUp(['file', 'stream'], { failStep: { step: 'join', error } });
    const result = await session.run();

    expect(result).toMatchObject({ status: 'failed', reason: 'error', failure: { code: 'join_timeout', retryable: true }, file: null });
    expect(result.failure!.message).toMatch(/^no join at /);
    for (const secret of SECRETS) {
      expect(result.failure!.message).not.toContain(secret);
      expect(lines.join('')).not.toContain(secret);
    }
    expect(seen.states.at(-1)).toMatchObject({ status: 'failed', failure: { code: 'join_timeout' } });
    expect(seen.streams).toEqual([expect.objectContaining({ status: 'ended', code: 'not_started', error: true, retryable: true })]);
    expect(fake.leaks()).toEqual([]);
    expect(fake.calls).not.toContain('ffmpeg.start');
  });

  it('refuses an end-to-end encrypted meeting before capturing', async () => {
    const { fake, session } = setUp(['file'], { snapshot: { e2ee: true } });
    const result = await session.run();
    expect(result).toMatchObject({ status: 'failed', failure: { code: 'e2ee_not_supported', retryable: false } });
    expect(fake.calls).not.toContain('ffmpeg.start');
    expect(fake.leaks()).toEqual([]);
  });

  it('transcription only: no encoding, no file, no Jibri mode; the transcript still comes', async () => {
    const { fake, session, seen } = setUp(['transcription']);
    stopWhenRunning(session);
    const result = await session.run();
    expect(result).toMatchObject({ status: 'finished', file: null, stream: null, transcript: { phrases: 1 } });
    expect(fake.calls).not.toContain('ffmpeg.start');
    expect(fake.calls).not.toContain('file.sink');
    expect(fake.presence).toEqual([{ session_id: 's1' }]);
    expect(seen.phrases).toHaveLength(1);
    expect(fake.leaks()).toEqual([]);
  });

  it('a stream-only session fails when its stream ends with an error; with a file it goes on', async () => {
    const rejected: StreamStatus = {
      status: 'ended',
      code: 'stream_rejected',
      reason: 'the server refused the stream',
      error: true,
      retryable: false,
    };
    const only = setUp(['stream']);
    only.session.on('state', (s) => s.status === 'running' && only.fake.streamStatus!(rejected));
    const result = await only.session.run();
    expect(result).toMatchObject({ status: 'failed', failure: { code: 'stream_rejected', retryable: false } });
    expect(only.fake.presence).toEqual([{ session_id: 's1', mode: 'STREAM' }]);
    expect(only.fake.leaks()).toEqual([]);

    const both = setUp(['file', 'stream']);
    stopWhenRunning(both.session, () => both.fake.streamStatus!(rejected));
    expect(await both.session.run()).toMatchObject({ status: 'finished', reason: 'requested', failure: null });
  });
});
