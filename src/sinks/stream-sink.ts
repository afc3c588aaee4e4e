/**
 * Live stream output. The capture ffmpeg writes the stream leg as MPEG-TS to its stdout; we read every byte
 * of it, always (the capture never waits on the network, so the file never sees a gap), and pass it to an
 * RTMP relay ffmpeg (rtmp-relay.ts). When the relay dies (the server dropped or restarted), the bytes are
 * dropped except the current group of pictures (ts-splicer.ts), and a new relay is started after a back-off,
 * fed from that keyframe, until the reconnect window is used up. A server that rejects the stream on the
 * first attempt ends it at once (stream-policy.ts). Status goes out through `onStatus`: `connected`,
 * `reconnecting`, and `ended` exactly once.
 */
import type { Readable } from 'node:stream';
import { startRelayAttempt, type RelayAttempt, type RelayAttemptOptions, type RelayOutcome } from './rtmp-relay.ts';
import { mpegtsPipeLeg } from '../ffmpeg/index.ts';
import { onAbort, pause } from '../lib/abort.ts';
import type { Sink, SinkDeps, SinkSpec, SinkStartContext, StreamSinkDeps, StreamSinkResult } from './sink.ts';
import { CONFIRM_MS, decideAfterFailure } from './stream-policy.ts';
import type { StreamEnd, StreamEndCode, StreamStatus, StreamSummary } from './stream-status.ts';
import { redactStreamUrl, youtubeLiveViewUrl } from './stream-url.ts';
import { TsSplicer } from './ts-splicer.ts';

/** After the capture ended: how long the relay may take to send what it has and unpublish. */
const RELAY_FINISH_GRACE_MS = 5000;
/** At finalize the capture has exited; its stdout closes right after. Do not wait for it forever. */
const SOURCE_CLOSE_WAIT_MS = 2000;

type StreamSpec = Extract<SinkSpec, { kind: 'stream' }>;

export interface StreamSinkInternals {
  /** Replaces startRelayAttempt (unit tests). */
  readonly startRelay?: (o: RelayAttemptOptions) => RelayAttempt;
}

export function createStreamSink(spec: StreamSpec, deps: SinkDeps, internals: StreamSinkInternals = {}): Sink {
  const s = deps.stream;
  if (s === undefined) throw new Error('a stream sink needs stream deps');
  const relay = new StreamRelayLoop(spec, deps.ffmpegPath, s, internals.startRelay ?? startRelayAttempt);
  return {
    spec,
    leg: mpegtsPipeLeg(1),
    start: (ctx) => relay.start(ctx),
    finalize: (signal) => relay.finalize(signal),
    pids: () => relay.pids(),
  };
}

class StreamRelayLoop {
  readonly #spec: StreamSpec;
  readonly #ffmpegPath: string;
  readonly #deps: StreamSinkDeps;
  readonly #startRelay: (o: RelayAttemptOptions) => RelayAttempt;
  readonly #now: () => number;
  readonly #target: string;
  readonly #splicer = new TsSplicer();
  #relay: RelayAttempt | null = null;
  /** The current relay got a keyframe to start from; until then it gets nothing. */
  #relaySynced = false;
  #confirmTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #started = false;
  #ending = false;
  #established = false;
  #outageStartedAtMs: number | null = null;
  #retries = 0;
  #attempts = 0;
  #connects = 0;
  #connectedSinceMs: number | null = null;
  #connectedMs = 0;
  #end: StreamEnd | null = null;
  readonly #ended: Promise<StreamEnd>;
  #resolveEnded!: (end: StreamEnd) => void;
  readonly #sourceClosed: Promise<void>;
  #resolveSourceClosed!: () => void;

  constructor(spec: StreamSpec, ffmpegPath: string, deps: StreamSinkDeps, startRelay: (o: RelayAttemptOptions) => RelayAttempt) {
    this.#spec = spec;
    this.#ffmpegPath = ffmpegPath;
    this.#deps = deps;
    this.#startRelay = startRelay;
    this.#now = deps.now ?? Date.now;
    this.#target = redactStreamUrl(spec.url);
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.#sourceClosed = new Promise((resolve) => (this.#resolveSourceClosed = resolve));
  }

  start(ctx: SinkStartContext): void {
    if (this.#started) return;
    this.#started = true;
    const source = ctx.stdout;
    if (source === null) {
      this.#finish('stream_failed', 'the capture has no stream output', true, true);
      return;
    }
    this.#outageStartedAtMs = this.#now();
    this.#read(source);
    this.#spawn();
  }

  pids(): number[] {
    const pid = this.#relay?.pid;
    return pid === undefined ? [] : [pid];
  }

  /** Called once the capture has exited: its last bytes are on their way; the relay gets them, then EOF. */
  async finalize(signal: AbortSignal): Promise<StreamSinkResult> {
    if (!this.#started) this.#finish('stopped', 'the stream was not started', false, false);
    else
      void Promise.race([this.#sourceClosed, pause(SOURCE_CLOSE_WAIT_MS, undefined, { unref: true })]).then(() =>
        this.#windDown('the session stopped'),
      );
    // Out of time: kill the relay and end the stream without waiting for it any longer.
    const stopListening = onAbort(signal, () => {
      void this.#relay?.abort();
      this.#finish('stopped', 'the stream did not end in time and was cut', false, false);
    });
    try {
      await this.#ended;
    } finally {
      stopListening();
    }
    return { kind: 'stream', summary: this.#summary() };
  }

  #read(source: Readable): void {
    // Never paused and never detached, even after the stream ended: an unread pipe would block the capture.
    source.on('data', (chunk: Buffer) => {
      if (this.#end !== null) return;
      const packets = this.#splicer.push(chunk);
      const relay = this.#relay;
      if (relay === null) return;
      if (this.#relaySynced) relay.write(packets);
      else this.#sync(relay);
    });
    source.once('close', () => {
      this.#resolveSourceClosed();
      void this.#windDown('the capture ended');
    });
    source.on('error', (err) => this.#deps.log.warn({ err, target: this.#target }, 'reading the capture stream leg failed'));
  }

  #sync(relay: RelayAttempt): void {
    const replay = this.#splicer.replay();
    if (replay === null) return; // no keyframe yet: a relay cannot start mid-picture-group
    relay.write(replay);
    this.#relaySynced = true;
  }

  #spawn(): void {
    if (this.#end !== null || this.#ending) return;
    this.#attempts += 1;
    this.#relaySynced = false;
    const relay = this.#startRelay({
      url: this.#spec.url,
      ffmpegPath: this.#ffmpegPath,
      connectTimeoutMs: this.#deps.connectTimeoutMs,
      stallTimeoutMs: Math.max(this.#deps.connectTimeoutMs, 5000),
      now: this.#now,
      onPublished: () => {
        this.#deps.log.debug({ target: this.#target, attempt: this.#attempts }, 'RTMP publish started');
        this.#confirmTimer = setTimeout(() => this.#confirm(relay), CONFIRM_MS);
      },
    });
    this.#relay = relay;
    this.#deps.log.debug({ target: this.#target, attempt: this.#attempts, pid: relay.pid }, 'RTMP relay started');
    this.#sync(relay);
    void relay.outcome.then((outcome) => this.#relayEnded(relay, outcome));
  }

  #confirm(relay: RelayAttempt): void {
    if (relay !== this.#relay || this.#end !== null || this.#ending) return;
    const reconnects = this.#connects;
    this.#established = true;
    this.#outageStartedAtMs = null;
    this.#retries = 0;
    this.#connects += 1;
    this.#connectedSinceMs = this.#now();
    this.#deps.log.info({ target: this.#target, reconnects }, reconnects === 0 ? 'live stream connected' : 'live stream reconnected');
    this.#emit({ status: 'connected', reconnects });
  }

  #relayEnded(relay: RelayAttempt, outcome: RelayOutcome): void {
    if (relay !== this.#relay) return;
    this.#relay = null;
    clearTimeout(this.#confirmTimer);
    if (this.#connectedSinceMs !== null) {
      this.#connectedMs += this.#now() - this.#connectedSinceMs;
      this.#connectedSinceMs = null;
    }
    if (this.#ending || this.#end !== null) return;
    const failure = outcome.failure ?? { kind: 'failed' as const, detail: 'the relay ended by itself' };
    const now = this.#now();
    this.#outageStartedAtMs ??= now;
    this.#retries += 1;
    const decision = decideAfterFailure(
      {
        failure,
        established: this.#established,
        outageStartedAtMs: this.#outageStartedAtMs,
        nowMs: now,
        attempt: this.#retries,
        random: (this.#deps.random ?? Math.random)(),
      },
      this.#deps.policy,
    );
    if (decision.action === 'give_up') {
      this.#deps.log.debug({ target: this.#target, relayTail: outcome.exit.stderrTail.slice(-5) }, 'RTMP relay output before giving up');
      this.#finish(decision.code, decision.reason, true, decision.retryable);
      return;
    }
    // The relay's last lines (the URL already scrubbed from them) say what the server did.
    const relayTail = outcome.exit.stderrTail.slice(-5);
    this.#deps.log.warn(
      { target: this.#target, failure, attempt: this.#retries, delayMs: decision.delayMs, relayTail },
      `live stream interrupted (${failure.kind}); reconnecting`,
    );
    this.#emit({ status: 'reconnecting', attempt: this.#retries, reason: failure.detail, delayMs: decision.delayMs });
    this.#retryTimer = setTimeout(() => this.#spawn(), decision.delayMs);
  }

  /** The capture ended or the session is stopping: let the current relay finish, then end. */
  async #windDown(reason: string): Promise<void> {
    if (this.#ending || this.#end !== null) return;
    this.#ending = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#confirmTimer);
    const relay = this.#relay;
    if (relay !== null) await relay.finish(RELAY_FINISH_GRACE_MS);
    this.#finish('stopped', reason, false, false);
  }

  #finish(code: StreamEndCode, reason: string, error: boolean, retryable: boolean): void {
    if (this.#end !== null) return;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#confirmTimer);
    if (this.#connectedSinceMs !== null) {
      this.#connectedMs += this.#now() - this.#connectedSinceMs;
      this.#connectedSinceMs = null;
    }
    const end: StreamEnd = { status: 'ended', code, reason, error, retryable };
    this.#end = end;
    if (error) this.#deps.log.warn({ target: this.#target, end }, `live stream ended: ${reason}`);
    else this.#deps.log.info({ target: this.#target, end }, `live stream ended: ${reason}`);
    this.#resolveEnded(end);
    this.#emit(end);
  }

  /** A listener that throws must not break the loop (nor keep `ended` from resolving). */
  #emit(status: StreamStatus): void {
    try {
      this.#deps.onStatus(status);
    } catch (err) {
      this.#deps.log.warn({ err, status: status.status }, 'a live stream status listener failed');
    }
  }

  #summary(): StreamSummary {
    return {
      target: this.#target,
      liveViewUrl: youtubeLiveViewUrl(this.#spec.youtubeBroadcastId),
      attempts: this.#attempts,
      connects: this.#connects,
      connectedSec: Math.round(this.#connectedMs / 100) / 10,
      end: this.#end!,
    };
  }
}
