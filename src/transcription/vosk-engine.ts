/**
 * Vosk server (alphacep/vosk-server, what Jigasi's self-hosted option runs) over its WebSocket protocol
 * (vosk-messages.ts): one connection per speaker stream, opened with the first audio; audio goes in chunks of
 * `chunkBytes`, Vosk's partials become interim results and its results finals, with word times on the
 * stream's timeline. end() sends the remaining audio and eof, and resolves once the server has answered with
 * the last result and closed.
 *
 * A connection that drops is replaced (after a back-off, a bounded number of times in a row): the new one is
 * sent again the audio after the last final (at most `maxResendSec`), and its times are offset by where it
 * started, so results continue on the same timeline; a final ending where one already did is dropped. An
 * utterance whose partials went out but whose result is dropped (empty: Vosk's answer to noise; or already
 * finalized) ends with an empty final, so what showed the partials can withdraw them. A
 * server refusing the upgrade with 4xx (wrong path, auth proxy) fails the stream as `invalid_request`.
 * The `ws` package loads on first use.
 */
import type WebSocket from 'ws';
import type { Logger } from '../log/logger.ts';
import { SampleAligner } from './pcm.ts';
import { SPEECH_SAMPLE_RATE, type SpeechEngine, type SpeechStartOptions, type SpeechStream } from './speech-engine.ts';
import { SpeechEngineError } from './speech-errors.ts';
import { StreamLifecycle } from './stream-lifecycle.ts';
import { parseVoskReply, VOSK_EOF, voskConfigMessage } from './vosk-messages.ts';

export interface VoskSpeechOptions {
  /** e.g. 'ws://vosk:2700'. */
  readonly url: string;
  /** Default true: Vosk's partials as interim results. */
  readonly interimResults?: boolean;
  /** Audio per message. Default 8000 bytes (0.25 s). */
  readonly chunkBytes?: number;
  /** Default 30 s. */
  readonly maxResendSec?: number;
  /** Back-off before each reconnection; its length bounds reconnections in a row. Default 250 ms, 1 s, 4 s. */
  readonly retryDelaysMs?: readonly number[];
  /** end() waits this long for the last result. Default 30 s. */
  readonly endTimeoutMs?: number;
  readonly logger?: Logger;
}

const DEFAULTS = { chunkBytes: 8_000, maxResendSec: 30, retryDelaysMs: [250, 1_000, 4_000], endTimeoutMs: 30_000 } as const;
const BPS = SPEECH_SAMPLE_RATE * 2;

type WsModule = typeof import('ws');
let wsLoading: Promise<WsModule> | null = null;

export function voskUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SpeechEngineError('invalid_request', 'transcription.vosk.url is not a URL');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new SpeechEngineError('invalid_request', 'transcription.vosk.url must be ws:// or wss://');
  return url;
}

export type VoskSpeechEngine = SpeechEngine & { readonly openStreams: number };

export async function createVoskSpeechEngine(options: VoskSpeechOptions): Promise<VoskSpeechEngine> {
  const url = voskUrl(options.url);
  wsLoading ??= import('ws');
  const ws = await wsLoading;
  const live = new Set<VoskStream>();
  let closed = false;
  return {
    name: 'vosk',
    get openStreams() {
      return live.size;
    },
    start(start) {
      if (closed) throw new SpeechEngineError('engine_failed', 'the vosk speech engine is closed');
      const stream: VoskStream = new VoskStream(ws.WebSocket, url, options, start, () => live.delete(stream));
      live.add(stream);
      return stream;
    },
    async close() {
      closed = true;
      for (const s of [...live]) s.abort();
    },
  };
}

/** Audio kept from `start` on (stream byte offsets): what is unsent plus the unconfirmed tail. */
class ByteWindow {
  #parts: Buffer[] = [];
  #start = 0;
  #end = 0;

  get start(): number {
    return this.#start;
  }

  get end(): number {
    return this.#end;
  }

  append(b: Buffer): void {
    this.#parts.push(b);
    this.#end += b.length;
  }

  slice(from: number, to: number): Buffer {
    const out: Buffer[] = [];
    let at = this.#start;
    for (const p of this.#parts) {
      const a = Math.max(from, at);
      const b = Math.min(to, at + p.length);
      if (b > a) out.push(p.subarray(a - at, b - at));
      at += p.length;
      if (at >= to) break;
    }
    return Buffer.concat(out);
  }

  dropBefore(offset: number): void {
    while (this.#parts.length > 0 && this.#start + this.#parts[0]!.length <= offset) {
      this.#start += this.#parts.shift()!.length;
    }
  }
}

interface Connection {
  readonly ws: WebSocket;
  /** Stream byte offset of this connection's first audio byte. */
  readonly base: number;
  open: boolean;
  /** Stream offsets where each chunk sent ends, waiting for its reply. */
  readonly pending: number[];
  eofSent: boolean;
  gotFinalReply: boolean;
  done: boolean;
}

class VoskStream implements SpeechStream {
  readonly #Ws: WsModule['WebSocket'];
  readonly #url: URL;
  readonly #o: VoskSpeechOptions;
  readonly #label: string;
  readonly #life: StreamLifecycle;
  readonly #aligner = new SampleAligner();
  readonly #window = new ByteWindow();
  #conn: Connection | null = null;
  /** Stream offset sent on the current connection. */
  #sent = 0;
  /** Stream offset the last final (or an empty result) covers. */
  #confirmed = 0;
  #lastFinalEndSec = 0;
  #lastPartial = '';
  /** Partials went out since the last final. */
  #interimOpen = false;

  constructor(Ws: WsModule['WebSocket'], url: URL, options: VoskSpeechOptions, start: SpeechStartOptions, onGone: () => void) {
    this.#Ws = Ws;
    this.#url = url;
    this.#o = options;
    this.#label = start.label ?? 'stream';
    this.#life = new StreamLifecycle({
      engine: 'Vosk',
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
    this.#window.append(Buffer.from(aligned));
    this.#pump();
  }

  end(): Promise<void> {
    return this.#life.end(() => this.#pump());
  }

  abort(): void {
    this.#life.abort();
  }

  #pump(): void {
    if (this.#life.settled || this.#life.retrying) return;
    const conn = this.#conn;
    if (conn === null) {
      if (this.#window.end > this.#sent) this.#connect();
      else if (this.#life.ending) this.#life.finish();
      return;
    }
    if (!conn.open || conn.eofSent) return;
    const chunk = this.#o.chunkBytes ?? DEFAULTS.chunkBytes;
    while (this.#window.end - this.#sent >= chunk || (this.#life.ending && this.#window.end > this.#sent)) {
      const to = Math.min(this.#window.end, this.#sent + chunk);
      conn.ws.send(this.#window.slice(this.#sent, to));
      conn.pending.push(to);
      this.#sent = to;
    }
    this.#trim();
    if (this.#life.ending && this.#sent === this.#window.end) {
      conn.ws.send(VOSK_EOF);
      conn.eofSent = true;
    }
  }

  /** Keeps the unsent audio and at most maxResendSec of the unconfirmed tail. */
  #trim(): void {
    const maxResend = Math.round((this.#o.maxResendSec ?? DEFAULTS.maxResendSec) * BPS);
    this.#window.dropBefore(Math.min(this.#sent, Math.max(this.#confirmed, this.#sent - maxResend)));
  }

  #connect(): void {
    // A new connection starts at the first unconfirmed byte still kept.
    this.#sent = Math.max(this.#confirmed, this.#window.start);
    const ws = new this.#Ws(this.#url, { handshakeTimeout: 10_000, perMessageDeflate: false });
    const conn: Connection = { ws, base: this.#sent, open: false, pending: [], eofSent: false, gotFinalReply: false, done: false };
    this.#conn = conn;
    this.#lastPartial = '';
    ws.on('open', () => {
      if (conn.done) return;
      conn.open = true;
      ws.send(voskConfigMessage(SPEECH_SAMPLE_RATE));
      this.#pump();
    });
    ws.on('message', (data, isBinary) => {
      if (conn.done || isBinary) return;
      this.#onReply(conn, String(data));
    });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const err = new SpeechEngineError(
        status >= 400 && status < 500 ? 'invalid_request' : 'unavailable',
        `Vosk server ${this.#url.host} refused the WebSocket upgrade for ${this.#label}: HTTP ${status}`,
        { engineCode: String(status) },
      );
      if (status >= 400 && status < 500) this.#life.fail(err);
      else this.#onDrop(conn, err.message);
      ws.terminate();
    });
    ws.on('error', (err: Error & { code?: string }) => this.#onDrop(conn, err.code ?? err.message));
    ws.on('close', (code) => {
      if (conn.eofSent && conn.gotFinalReply) this.#onClosedAfterEof(conn);
      else this.#onDrop(conn, `connection closed (${code})`);
    });
  }

  #onReply(conn: Connection, raw: string): void {
    const reply = parseVoskReply(raw);
    // One reply per chunk; the reply to eof is the last result.
    const toEof = conn.pending.length === 0;
    const ackedByte = conn.pending.shift() ?? this.#sent;
    if (conn.eofSent && toEof) conn.gotFinalReply = true;
    if (reply.kind === 'invalid') {
      this.#o.logger?.warn({ label: this.#label, detail: reply.detail }, 'vosk sent a reply it should not have; ignored');
      return;
    }
    const ackedSec = ackedByte / BPS;
    const offsetSec = conn.base / BPS;
    if (reply.kind === 'partial') {
      if ((this.#o.interimResults ?? true) && reply.text !== '' && reply.text !== this.#lastPartial) {
        this.#lastPartial = reply.text;
        this.#interimOpen = true;
        this.#life.results.push({
          final: false,
          text: reply.text,
          confidence: null,
          startSec: this.#lastFinalEndSec,
          endSec: Math.max(this.#lastFinalEndSec, ackedSec),
        });
      }
      return;
    }
    this.#lastPartial = '';
    this.#life.succeeded();
    const words = reply.words.map((w) => ({ word: w.word, startSec: w.startSec + offsetSec, endSec: w.endSec + offsetSec }));
    const endSec = Math.min(ackedSec, words.at(-1)?.endSec ?? ackedSec);
    const confirmedByte = reply.text === '' ? ackedByte : Math.round(endSec * SPEECH_SAMPLE_RATE) * 2;
    if (reply.text === '' || endSec <= this.#lastFinalEndSec) {
      // Silence, or a phrase a dropped connection already finalized (heard again after the reconnection).
      this.#confirmed = Math.max(this.#confirmed, confirmedByte);
      this.#endWithoutText();
      return;
    }
    const startSec = Math.max(this.#lastFinalEndSec, words[0]?.startSec ?? this.#lastFinalEndSec);
    const kept = words
      .filter((w) => w.endSec > this.#lastFinalEndSec)
      .map((w) => ({ word: w.word, startSec: Math.max(startSec, w.startSec), endSec: Math.min(endSec, Math.max(startSec, w.endSec)) }));
    this.#life.results.push({
      final: true,
      text: reply.text,
      confidence: reply.confidence,
      startSec,
      endSec: Math.max(startSec, endSec),
      ...(kept.length > 0 ? { words: kept } : {}),
    });
    this.#interimOpen = false;
    this.#lastFinalEndSec = Math.max(startSec, endSec);
    this.#confirmed = Math.max(this.#confirmed, confirmedByte);
    this.#trim();
  }

  /** The open utterance's partials get no final text: an empty final, at the last final's end, closes them. */
  #endWithoutText(): void {
    if (!this.#interimOpen) return;
    this.#interimOpen = false;
    const at = this.#lastFinalEndSec;
    this.#life.results.push({ final: true, text: '', confidence: null, startSec: at, endSec: at });
  }

  #onClosedAfterEof(conn: Connection): void {
    if (conn.done) return;
    conn.done = true;
    this.#conn = null;
    this.#life.finish();
  }

  #onDrop(conn: Connection, detail: string): void {
    if (conn.done) return;
    conn.done = true;
    if (this.#conn !== conn) return;
    this.#conn = null;
    // What this connection did not finalize goes to the next one.
    this.#sent = Math.max(this.#confirmed, this.#window.start);
    try {
      conn.ws.terminate();
    } catch {
      // already gone
    }
    if (this.#life.settled) return;
    const delay = this.#life.retryAfter(
      this.#o.retryDelaysMs ?? DEFAULTS.retryDelaysMs,
      () => this.#pump(),
      (n) =>
        new SpeechEngineError('unavailable', `Vosk server ${this.#url.host} failed ${n} times in a row for ${this.#label} (${detail})`),
    );
    if (delay !== null) this.#o.logger?.warn({ label: this.#label, detail, delayMs: delay }, 'vosk connection lost; reconnecting');
  }

  /** The stream settled: its connection, if any, goes. */
  #release(): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null && !conn.done) {
      conn.done = true;
      conn.ws.terminate();
    }
  }
}
