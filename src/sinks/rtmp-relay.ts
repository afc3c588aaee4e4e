/**
 * One connection attempt to the RTMP server: a relay ffmpeg (relay-args.ts) fed on stdin, watched for the
 * publish starting, for its progress, and for how it ended. The stream sink starts a new attempt after each
 * failure. The relay runs under `setpriv --pdeathsig SIGKILL` (startFfmpeg) and is stopped with SIGINT, then
 * SIGKILL; every stderr line is scrubbed of the URL before it is kept anywhere.
 */
import { buildRtmpRelayCommand, type FfmpegExit, type FfmpegHandle, startFfmpeg, type StartFfmpegOptions } from '../ffmpeg/index.ts';
import type { FfmpegCommandSpec } from '../ffmpeg/index.ts';
import { settlesWithin } from '../lib/abort.ts';
import { classifyRelayEnd, EMPTY_OBSERVATION, observeRelayLine, type RelayFailure, type RelayObservation } from './stream-policy.ts';
import { streamUrlScrubber } from './stream-url.ts';

/** Data we hold for a relay that does not keep up: about 40 s at 3 Mb/s; more means it is stuck. */
export const MAX_RELAY_BACKLOG_BYTES = 16 * 1024 * 1024;
/** SIGINT → SIGKILL for a relay: it has no file to finish, only an FLV end and an unpublish to send. */
const RELAY_KILL_GRACE_MS = 2000;

export interface RelayAttemptOptions {
  readonly url: string;
  readonly ffmpegPath: string;
  readonly connectTimeoutMs: number;
  /** Publishing, but no progress for this long: the server stopped taking data. */
  readonly stallTimeoutMs: number;
  readonly now: () => number;
  /** Once, when the server has started the publish. */
  readonly onPublished: () => void;
  /** The process starter (tests pass a fake). */
  readonly start?: (spec: FfmpegCommandSpec, opts: StartFfmpegOptions) => FfmpegHandle;
}

export interface RelayOutcome {
  /** Null when we ended it on purpose (finish/abort) and it was not already failing. */
  readonly failure: RelayFailure | null;
  readonly publishedAtMs: number | null;
  readonly exit: FfmpegExit;
}

export interface RelayAttempt {
  readonly pid: number | undefined;
  /** Queues data for the relay (dropped once it has ended). */
  write(data: Buffer): void;
  /** No more input: the relay sends what it has, ends the FLV and unpublishes; stopped if it takes longer than graceMs. */
  finish(graceMs: number): Promise<RelayOutcome>;
  /** Stops it now (SIGINT, then SIGKILL). */
  abort(): Promise<RelayOutcome>;
  /** Resolves once it has exited, for whatever reason. Never rejects. */
  readonly outcome: Promise<RelayOutcome>;
}

export function startRelayAttempt(o: RelayAttemptOptions): RelayAttempt {
  const scrub = streamUrlScrubber(o.url);
  let observation: RelayObservation = EMPTY_OBSERVATION;
  let publishedAtMs: number | null = null;
  let lastAdvanceAtMs = o.now();
  let lastFrame = -1;
  let endedOnPurpose = false;

  const handle = (o.start ?? startFfmpeg)(buildRtmpRelayCommand(o.url), {
    ffmpegPath: o.ffmpegPath,
    stdin: 'pipe',
    killGraceMs: RELAY_KILL_GRACE_MS,
    redactLine: scrub,
    now: o.now,
    onLine: (line) => {
      if (line.kind === 'progress') {
        if (line.frame > lastFrame) {
          lastFrame = line.frame;
          lastAdvanceAtMs = o.now();
        }
        return;
      }
      const before = observation.published;
      observation = observeRelayLine(observation, line.kind, line.message);
      if (!before && observation.published) {
        publishedAtMs = o.now();
        lastAdvanceAtMs = publishedAtMs;
        o.onPublished();
      }
    },
  });
  const stdin = handle.stdin;
  // EPIPE when the relay dies with data in flight: its exit is what we act on.
  stdin?.on('error', () => undefined);

  const stopFor = (reason: 'timeout' | 'stalled'): void => {
    if (observation.stoppedFor === null) observation = { ...observation, stoppedFor: reason };
    void handle.stop();
  };
  const connectTimer = setTimeout(() => {
    if (publishedAtMs === null) stopFor('timeout');
  }, o.connectTimeoutMs);
  const stallTimer = setInterval(() => {
    if (publishedAtMs !== null && o.now() - lastAdvanceAtMs > o.stallTimeoutMs) stopFor('stalled');
  }, 1000);

  const outcome = handle.exited.then((exit): RelayOutcome => {
    clearTimeout(connectTimer);
    clearInterval(stallTimer);
    const failed = !endedOnPurpose || observation.stoppedFor !== null;
    return { failure: failed ? classifyRelayEnd(observation) : null, publishedAtMs, exit };
  });

  return {
    pid: handle.pid,
    write(data: Buffer): void {
      if (stdin === null || stdin.destroyed || stdin.writableEnded) return;
      if (stdin.writableLength > MAX_RELAY_BACKLOG_BYTES) {
        stopFor('stalled');
        return;
      }
      stdin.write(data);
    },
    async finish(graceMs: number): Promise<RelayOutcome> {
      endedOnPurpose = true;
      stdin?.end();
      if (!(await settlesWithin(outcome, graceMs))) void handle.stop();
      return outcome;
    },
    abort(): Promise<RelayOutcome> {
      endedOnPurpose = true;
      void handle.stop();
      return outcome;
    },
    outcome,
  };
}
