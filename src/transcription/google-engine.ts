/**
 * Google Cloud Speech-to-Text v1 streaming (`@google-cloud/speech`), with endless streaming: one SpeechStream
 * is a chain of gRPC StreamingRecognize calls, one at a time (bookkeeping in endless-stream.ts).
 *
 * A call opens lazily with the first audio; its first request carries only the streamingConfig, the others
 * only audio (≤ maxRequestBytes). Before Google's ~305 s limit (streamLimitSec of audio or wall time) the call
 * is half-closed, so Google finalizes what it heard; once it has ended, the next call is sent the audio after
 * the last final result again, then the rest. Results are offset onto the stream's timeline. A call that
 * fails with OUT_OF_RANGE (limit, audio timeout) is replaced the same way; transient failures after a
 * backoff, a bounded number of times; auth, quota and request errors fail the stream, not retried.
 */
import type { Logger } from '../log/logger.ts';
import { EndlessStreamBook } from './endless-stream.ts';
import { classifyGoogleFailure } from './google-errors.ts';
import { parseStreamingResponse, type ResponseLike } from './google-results.ts';
import { bytesToSeconds, SampleAligner, secondsToByte } from './pcm.ts';
import { SPEECH_SAMPLE_RATE, type SpeechEngine, type SpeechStartOptions, type SpeechStream } from './speech-engine.ts';
import { SpeechEngineError } from './speech-errors.ts';
import { StreamLifecycle } from './stream-lifecycle.ts';

/** The request messages we send (a subset of google.cloud.speech.v1.StreamingRecognizeRequest). */
export type StreamingRequest =
  | { readonly streamingConfig: GoogleStreamingConfig; readonly audioContent?: never }
  | { readonly audioContent: Buffer; readonly streamingConfig?: never };

export interface GoogleStreamingConfig {
  readonly config: {
    readonly encoding: 'LINEAR16';
    readonly sampleRateHertz: number;
    readonly languageCode: string;
    readonly model?: string;
    readonly enableAutomaticPunctuation: boolean;
    readonly enableWordTimeOffsets: true;
    readonly maxAlternatives: 1;
  };
  readonly interimResults: boolean;
}

/** One bidirectional StreamingRecognize call (google-gax's CancellableStream has this shape). */
export interface StreamingCall {
  write(request: StreamingRequest): boolean;
  end(): void;
  cancel(): void;
  on(event: 'data', listener: (response: ResponseLike) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
}

export interface SpeechCallClient {
  openStreamingCall(): StreamingCall;
  close(): Promise<void>;
}

/** What @google-cloud/speech's SpeechClient takes (google-gax ClientOptions), the parts we use. */
export interface GoogleClientOptions {
  /** Host, e.g. '127.0.0.1' for a test server; default Google's. */
  readonly apiEndpoint?: string;
  readonly port?: number;
  /** grpc.credentials.createInsecure() for a plaintext test server; skips Google auth entirely. */
  readonly sslCreds?: unknown;
  /** A service account key file; default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS). */
  readonly keyFilename?: string;
  readonly projectId?: string;
  /** Default googleapis.com. */
  readonly universeDomain?: string;
}

export interface GoogleSpeechOptions {
  /** e.g. 'latest_long'; unset: Google's default for the language. */
  readonly model?: string;
  /** Default true. */
  readonly enableAutomaticPunctuation?: boolean;
  /** Default false: finals only. */
  readonly interimResults?: boolean;
  /** Hand over to a new call after this much audio or wall time on one. Default 290 s (Google allows ~305). */
  readonly streamLimitSec?: number;
  /** At most this much of the unconfirmed tail is sent again on a restart. Default 30 s. */
  readonly maxResendSec?: number;
  /** Default 25,000 bytes (Google: at most 25 KB of audio per request). */
  readonly maxRequestBytes?: number;
  /** No audio written for this long: half-close the call so Google finalizes. Default 5 s. */
  readonly idleCloseMs?: number;
  /** A half-closed call that has not ended by then is cancelled (and its tail resent). Default 5 s. */
  readonly handoverTimeoutMs?: number;
  /** end() waits this long for the last call's final results. Default 30 s. */
  readonly endTimeoutMs?: number;
  /** Backoff before reopening after a transient failure; its length bounds consecutive retries. */
  readonly retryDelaysMs?: readonly number[];
  readonly clientOptions?: GoogleClientOptions;
  /** Replaces the real client (tests of the stream logic without gRPC). */
  readonly client?: SpeechCallClient;
  readonly now?: () => number;
  readonly logger?: Logger;
}

const DEFAULTS = {
  streamLimitSec: 290,
  maxResendSec: 30,
  maxRequestBytes: 25_000,
  idleCloseMs: 5_000,
  handoverTimeoutMs: 5_000,
  endTimeoutMs: 30_000,
  retryDelaysMs: [250, 1_000, 4_000],
} as const;

/** The first request's streamingConfig. Pure. */
export function googleStreamingConfig(
  options: Pick<GoogleSpeechOptions, 'model' | 'enableAutomaticPunctuation' | 'interimResults'>,
  languageCode: string,
): GoogleStreamingConfig {
  return {
    config: {
      encoding: 'LINEAR16',
      sampleRateHertz: SPEECH_SAMPLE_RATE,
      languageCode,
      ...(options.model === undefined ? {} : { model: options.model }),
      enableAutomaticPunctuation: options.enableAutomaticPunctuation ?? true,
      enableWordTimeOffsets: true, // word times give each phrase its true start (results only carry the end)
      maxAlternatives: 1,
    },
    interimResults: options.interimResults ?? false,
  };
}

/** The real client, loaded on demand (google-gax and the protos take a moment to load). */
export async function createGoogleCallClient(options: GoogleClientOptions = {}): Promise<SpeechCallClient> {
  const { SpeechClient } = await import('@google-cloud/speech');
  // With sslCreds no Google credentials are used at all; naming the universe domain keeps google-auth-library
  // from looking for credentials anyway (it would probe the GCE metadata server, off this machine).
  const withUniverse = options.sslCreds !== undefined ? { universeDomain: 'googleapis.com', ...options } : options;
  const client = new SpeechClient(withUniverse as ConstructorParameters<typeof SpeechClient>[0]);
  return {
    // _streamingRecognize is the generated gRPC method; the library's streamingRecognize() helper wraps it
    // but decides request framing itself. We send exactly the requests Google specifies.
    openStreamingCall: () => client._streamingRecognize() as unknown as StreamingCall,
    close: () => client.close(),
  };
}

export async function createGoogleSpeechEngine(options: GoogleSpeechOptions = {}): Promise<SpeechEngine> {
  const client = options.client ?? (await createGoogleCallClient(options.clientOptions));
  const live = new Set<GoogleSpeechStream>();
  let closing: Promise<void> | null = null;
  return {
    name: 'google',
    start(start) {
      if (closing !== null) throw new SpeechEngineError('engine_failed', 'the Google speech engine is closed');
      if (start.language.trim() === '') throw new SpeechEngineError('unsupported_language', 'a language code is required');
      const stream = new GoogleSpeechStream(client, options, start, () => live.delete(stream));
      live.add(stream);
      return stream;
    },
    close() {
      closing ??= (async () => {
        for (const s of live) s.abort();
        await client.close();
      })();
      return closing;
    },
  };
}

interface ActiveCall {
  readonly call: StreamingCall;
  /** Half-closed: 'limit' to hand over, 'idle' after a pause, 'end' because the stream is ending. */
  halfClosed: 'limit' | 'idle' | 'end' | null;
  gotFinal: boolean;
  done: boolean;
  timer: NodeJS.Timeout | null;
}

class GoogleSpeechStream implements SpeechStream {
  readonly #client: SpeechCallClient;
  readonly #options: GoogleSpeechOptions;
  readonly #label: string;
  readonly #config: GoogleStreamingConfig;
  readonly #book: EndlessStreamBook;
  readonly #aligner = new SampleAligner();
  readonly #now: () => number;
  readonly #life: StreamLifecycle;
  #active: ActiveCall | null = null;
  #needsResend = false;
  /** The last call ended cleanly after our half-close: it heard its whole tail (see EndlessStreamBook.open). */
  #tailHeard = true;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(client: SpeechCallClient, options: GoogleSpeechOptions, start: SpeechStartOptions, onGone: () => void) {
    this.#client = client;
    this.#options = options;
    this.#label = start.label ?? 'stream';
    this.#config = googleStreamingConfig(options, start.language);
    this.#now = options.now ?? Date.now;
    this.#book = new EndlessStreamBook({
      sampleRateHertz: start.sampleRateHertz,
      streamLimitSec: options.streamLimitSec ?? DEFAULTS.streamLimitSec,
      maxResendSec: options.maxResendSec ?? DEFAULTS.maxResendSec,
      maxRequestBytes: options.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
    });
    this.#life = new StreamLifecycle({
      engine: 'Google',
      label: this.#label,
      signal: start.signal,
      endTimeoutMs: options.endTimeoutMs ?? DEFAULTS.endTimeoutMs,
      release: () => this.#release(),
      onGone,
    });
  }

  get results(): StreamLifecycle['results'] {
    return this.#life.results;
  }

  write(pcm: Buffer): void {
    if (!this.#life.accepting) return;
    const aligned = this.#aligner.push(pcm);
    if (aligned.length === 0) return;
    this.#book.append(Buffer.from(aligned)); // a copy: the caller may reuse its buffer
    this.#armIdleClose();
    this.#pump();
  }

  end(): Promise<void> {
    return this.#life.end(() => {
      if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
      this.#pump();
    });
  }

  abort(): void {
    this.#life.abort();
  }

  /** Moves audio along: opens a call when one is needed, sends what there is, half-closes when due. */
  #pump(): void {
    if (this.#life.settled || this.#life.retrying) return;
    if (this.#active === null) {
      if (this.#book.unsentBytes > 0 || (this.#needsResend && this.#book.unconfirmedBytes > 0)) this.#open();
      else if (this.#life.ending) this.#life.finish();
      return;
    }
    const active = this.#active;
    if (active.halfClosed !== null) return; // wait for it to end
    for (;;) {
      const next = this.#book.next(this.#now());
      if (next.kind === 'audio') {
        active.call.write({ audioContent: next.audio });
        continue;
      }
      if (next.kind === 'limit') this.#halfClose(active, 'limit');
      else if (this.#life.ending) this.#halfClose(active, 'end');
      return;
    }
  }

  #open(): void {
    const plan = this.#book.open(this.#now(), this.#tailHeard);
    if (plan.droppedBytes > 0) {
      this.#options.logger?.warn(
        { label: this.#label, droppedSec: bytesToSeconds(plan.droppedBytes, SPEECH_SAMPLE_RATE) },
        'speech tail without a final result is longer than maxResendSec: the oldest part is not sent again',
      );
    }
    this.#needsResend = false;
    let call: StreamingCall;
    try {
      call = this.#client.openStreamingCall();
    } catch (err) {
      this.#book.close();
      this.#onCallFailed(err, false, 0);
      return;
    }
    const active: ActiveCall = { call, halfClosed: null, gotFinal: false, done: false, timer: null };
    this.#active = active;
    call.on('data', (response) => this.#onResponse(active, response));
    call.on('error', (err) => this.#onCallEnd(active, err));
    call.on('end', () => this.#onCallEnd(active, null));
    // 'close' without 'end' or 'error' first: the call is gone all the same (a clean end as far as we know).
    call.on('close', () => this.#onCallEnd(active, null));
    call.write({ streamingConfig: this.#config });
    this.#options.logger?.debug(
      {
        label: this.#label,
        startSec: bytesToSeconds(plan.startByte, SPEECH_SAMPLE_RATE),
        resendSec: bytesToSeconds(plan.resendBytes, SPEECH_SAMPLE_RATE),
      },
      'google speech stream opened',
    );
    this.#pump();
  }

  #halfClose(active: ActiveCall, why: 'limit' | 'idle' | 'end'): void {
    active.halfClosed = why;
    active.call.end();
    if (why !== 'end') {
      // Google normally answers a half-close within a second; one that does not is abandoned, its tail resent.
      active.timer = setTimeout(() => {
        active.call.cancel();
        this.#onCallEnd(active, null, true);
      }, this.#options.handoverTimeoutMs ?? DEFAULTS.handoverTimeoutMs);
    }
  }

  #onResponse(active: ActiveCall, response: ResponseLike): void {
    if (active.done || this.#life.settled) return;
    const parsed = parseStreamingResponse(response);
    for (const raw of parsed.results) {
      const result = this.#book.accept(raw);
      if (raw.final) {
        active.gotFinal = true;
        this.#life.succeeded();
      }
      if (result !== null) this.#life.results.push(result);
    }
    if (parsed.error !== null) {
      active.call.cancel();
      this.#onCallEnd(active, Object.assign(new Error(parsed.error.message), { code: parsed.error.code, details: parsed.error.message }));
    }
  }

  /** abandoned: we cancelled a half-closed call that did not end in time (nothing it heard was finalized). */
  #onCallEnd(active: ActiveCall, err: unknown, abandoned = false): void {
    if (active.done) return;
    active.done = true;
    if (active.timer !== null) clearTimeout(active.timer);
    if (this.#active !== active) return;
    this.#active = null;
    const sentSec = bytesToSeconds((this.#book.window?.sentByte ?? 0) - (this.#book.window?.startByte ?? 0), SPEECH_SAMPLE_RATE);
    this.#book.close();
    if (this.#life.settled) return;
    if (err === null && active.halfClosed === null && !active.gotFinal && sentSec < 1) {
      // Google closed a call we did not close, before it heard anything: count it, or we would spin.
      err = Object.assign(new Error('the call ended before any audio was recognized'), { code: 2 });
    }
    this.#tailHeard = err === null && active.halfClosed !== null && !abandoned;
    if (err === null) {
      // Ended cleanly. After our final half-close the stream is done; after an idle close nothing waits;
      // otherwise (handover, abandoned, or Google closing by itself) the tail after the last final goes to
      // the next call.
      this.#needsResend = abandoned || (active.halfClosed !== 'end' && active.halfClosed !== 'idle');
      this.#pump();
      return;
    }
    this.#onCallFailed(err, active.gotFinal, sentSec);
  }

  #onCallFailed(err: unknown, gotFinal: boolean, sentSec: number): void {
    const failure = classifyGoogleFailure(err, this.#label);
    if (failure.kind === 'fatal') {
      this.#life.fail(failure.error);
      return;
    }
    this.#needsResend = true;
    // A limit reached after real audio is routine. Without any final in it, its whole tail would only hit the
    // limit again: only its second half (at most maxResendSec) is sent again, where a phrase the limit cut
    // would be; the rest was silence or noise as far as Google could tell.
    if (failure.kind === 'restart' && (gotFinal || sentSec >= 1)) {
      const keepSec = Math.min(this.#options.maxResendSec ?? DEFAULTS.maxResendSec, sentSec / 2);
      const abandoned = gotFinal ? 0 : this.#book.abandonSent(secondsToByte(keepSec, SPEECH_SAMPLE_RATE));
      this.#options.logger?.debug(
        { label: this.#label, status: failure.status, abandonedBytes: abandoned },
        'google speech stream restarted',
      );
      this.#pump();
      return;
    }
    const delay = this.#life.retryAfter(
      this.#options.retryDelaysMs ?? DEFAULTS.retryDelaysMs,
      () => this.#pump(),
      (n) =>
        new SpeechEngineError(
          'unavailable',
          `Google Speech-to-Text failed ${n} times in a row for ${this.#label} (${failure.status}: ${failure.message})`,
          { cause: err, engineCode: failure.status },
        ),
    );
    if (delay !== null)
      this.#options.logger?.warn({ label: this.#label, status: failure.status, delayMs: delay }, 'google speech stream failed; retrying');
  }

  #armIdleClose(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      const active = this.#active;
      if (active !== null && active.halfClosed === null && !this.#life.ending) this.#halfClose(active, 'idle');
    }, this.#options.idleCloseMs ?? DEFAULTS.idleCloseMs);
  }

  /** The stream settled: a call still open is cancelled, the idle timer goes. */
  #release(): void {
    const active = this.#active;
    this.#active = null;
    if (active !== null && !active.done) {
      active.done = true;
      if (active.timer !== null) clearTimeout(active.timer);
      active.call.cancel();
    }
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}
