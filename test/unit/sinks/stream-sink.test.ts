/**
 * The stream sink's loop without processes: a fake relay stands in for the relay ffmpeg, a PassThrough for
 * the capture's stdout (fed real MPEG-TS from the fixture), and fake timers for the back-off.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FfmpegExit } from '../../../src/ffmpeg/ffmpeg-exit.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { RelayAttempt, RelayAttemptOptions, RelayOutcome } from '../../../src/sinks/rtmp-relay.ts';
import type { StreamSinkDeps } from '../../../src/sinks/sink.ts';
import { createStreamSink } from '../../../src/sinks/stream-sink.ts';
import { CONFIRM_MS, type RelayFailure } from '../../../src/sinks/stream-policy.ts';
import type { StreamStatus } from '../../../src/sinks/stream-status.ts';

const ts = readFileSync(new URL('../../fixtures/ffmpeg/stream-leg-gop1s.mpegts', import.meta.url));
const pidAt = (b: Buffer, packet: number) => ((b[packet * 188 + 1]! & 0x1f) << 8) | b[packet * 188 + 2]!;
const EXIT: FfmpegExit = { code: 1, signal: null, stoppedByUs: false, lastError: null, lastProgress: null, stderrTail: [] };

class FakeRelay implements RelayAttempt {
  readonly pid = 1000;
  readonly written: Buffer[] = [];
  finished = false;
  readonly outcome: Promise<RelayOutcome>;
  #resolve!: (o: RelayOutcome) => void;
  readonly options: RelayAttemptOptions;
  constructor(options: RelayAttemptOptions) {
    this.options = options;
    this.outcome = new Promise((r) => (this.#resolve = r));
  }
  write(data: Buffer): void {
    if (!this.finished) this.written.push(data);
  }
  publish(): void {
    this.options.onPublished();
  }
  fail(failure: RelayFailure): void {
    this.#resolve({ failure, publishedAtMs: null, exit: EXIT });
  }
  finish(): Promise<RelayOutcome> {
    this.finished = true;
    this.#resolve({ failure: null, publishedAtMs: null, exit: { ...EXIT, code: 0 } });
    return this.outcome;
  }
  abort(): Promise<RelayOutcome> {
    return this.finish();
  }
}

let relays: FakeRelay[];
let statuses: StreamStatus[];
let source: PassThrough;

function sink(over: Partial<StreamSinkDeps> = {}) {
  const s = createStreamSink(
    { kind: 'stream', url: 'rtmp://live.example.com/app/s3cr3t-key', youtubeBroadcastId: 'b1' },
    {
      ffmpegPath: 'ffmpeg',
      stream: {
        policy: { initialDelayMs: 500, maxDelayMs: 5000, windowMs: 10_000 },
        connectTimeoutMs: 10_000,
        onStatus: (st) => statuses.push(st),
        log: createLogger({ level: 'silent' }),
        now: () => Date.now(),
        random: () => 1,
        ...over,
      },
    },
    {
      startRelay: (o) => {
        const r = new FakeRelay(o);
        relays.push(r);
        return r;
      },
    },
  );
  s.start({ stdout: source });
  return s;
}

const tick = async (ms = 0) => {
  await vi.advanceTimersByTimeAsync(ms);
};

beforeEach(() => {
  vi.useFakeTimers();
  relays = [];
  statuses = [];
  source = new PassThrough();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stream sink', () => {
  it('feeds the relay from the first keyframe, reports connected once the publish held, ends cleanly with the capture', async () => {
    const s = sink();
    expect(relays).toHaveLength(1);
    expect(relays[0]!.options.url).toBe('rtmp://live.example.com/app/s3cr3t-key');
    source.write(ts.subarray(0, 188 * 2)); // PAT + PMT: nothing a relay could start with
    await tick();
    expect(relays[0]!.written).toEqual([]);
    source.write(ts.subarray(188 * 2));
    await tick();
    const fed = Buffer.concat(relays[0]!.written);
    expect([0, 1, 2].map((i) => pidAt(fed, i))).toEqual([0, 0x1000, 0x100]); // PAT, PMT, then video…
    expect(fed[2 * 188 + 5]! & 0x40).toBe(0x40); // …starting on a keyframe (random access indicator)
    relays[0]!.publish();
    await tick(CONFIRM_MS - 1);
    expect(statuses).toEqual([]);
    await tick(1);
    expect(statuses).toEqual([{ status: 'connected', reconnects: 0 }]);
    source.end();
    await tick();
    const result = await s.finalize(AbortSignal.timeout(1000));
    expect(relays[0]!.finished).toBe(true);
    expect(statuses.at(-1)).toEqual({ status: 'ended', code: 'stopped', reason: 'the capture ended', error: false, retryable: false });
    expect(result).toMatchObject({
      kind: 'stream',
      summary: { target: 'rtmp://live.example.com/app/***', liveViewUrl: 'https://youtube.com/watch?v=b1', attempts: 1, connects: 1 },
    });
    expect(JSON.stringify([statuses, result])).not.toContain('s3cr3t');
  });

  it('after a drop: reconnecting with back-off, a new relay fed from the last keyframe, connected again', async () => {
    sink();
    source.write(ts);
    await tick();
    relays[0]!.publish();
    await tick(CONFIRM_MS);
    relays[0]!.fail({ kind: 'dropped', detail: 'the connection dropped (Broken pipe)' });
    await tick();
    expect(statuses.at(-1)).toEqual({ status: 'reconnecting', attempt: 1, reason: 'the connection dropped (Broken pipe)', delayMs: 500 });
    source.write(ts.subarray(0, 188 * 10)); // data during the outage is dropped (the relay is gone)
    await tick(499);
    expect(relays).toHaveLength(1);
    await tick(1);
    expect(relays).toHaveLength(2);
    expect(pidAt(Buffer.concat(relays[1]!.written), 0)).toBe(0); // starts with the PAT again
    relays[1]!.fail({ kind: 'refused', detail: 'connection refused' }); // server still restarting
    await tick();
    expect(statuses.at(-1)).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
    await tick(1000);
    relays[2]!.publish();
    await tick(CONFIRM_MS);
    expect(statuses.at(-1)).toEqual({ status: 'connected', reconnects: 1 });
  });

  it('a rejection on the first attempt ends the stream at once: one attempt, no retry, and the capture is still drained', async () => {
    const s = sink();
    source.write(ts);
    await tick();
    relays[0]!.fail({ kind: 'rejected', detail: 'the server closed the connection before publishing started' });
    await tick(60_000);
    expect(relays).toHaveLength(1);
    expect(statuses).toEqual([
      {
        status: 'ended',
        code: 'stream_rejected',
        reason: 'the RTMP server rejected the stream: the server closed the connection before publishing started',
        error: true,
        retryable: false,
      },
    ]);
    expect(source.readableFlowing).toBe(true);
    source.write(ts);
    await tick();
    expect(source.readableLength).toBe(0);
    source.end();
    const result = await s.finalize(AbortSignal.timeout(1000));
    expect(statuses.filter((x) => x.status === 'ended')).toHaveLength(1);
    expect(result).toMatchObject({ summary: { attempts: 1, connects: 0, end: { code: 'stream_rejected' } } });
  });

  it('gives up when the server stays away for the whole window', async () => {
    sink();
    source.write(ts);
    for (let i = 0; i < 20 && statuses.at(-1)?.status !== 'ended'; i++) {
      relays.at(-1)!.fail({ kind: 'refused', detail: 'connection refused' }); // each attempt is refused at once
      await tick();
      const last = statuses.at(-1);
      if (last?.status === 'reconnecting') await tick(last.delayMs);
    }
    const end = statuses.at(-1)!;
    expect(end).toMatchObject({ status: 'ended', code: 'stream_lost', error: true, retryable: true });
    expect(end.status === 'ended' && end.reason).toMatch(/could not connect to the RTMP server within 10 s \(last: connection refused\)/);
    // 500, 1000, 2000, 4000 ms: the fifth attempt would start after 10 s.
    expect(relays).toHaveLength(5);
  });

  it('no capture output: the stream fails at once', async () => {
    const s = createStreamSink(
      { kind: 'stream', url: 'rtmp://h/app/k', youtubeBroadcastId: null },
      {
        ffmpegPath: 'ffmpeg',
        stream: {
          policy: { initialDelayMs: 1, maxDelayMs: 1, windowMs: 1 },
          connectTimeoutMs: 1,
          onStatus: (x) => statuses.push(x),
          log: createLogger({ level: 'silent' }),
        },
      },
    );
    s.start({ stdout: null });
    expect(statuses).toEqual([
      { status: 'ended', code: 'stream_failed', reason: 'the capture has no stream output', error: true, retryable: true },
    ]);
  });
});
