/**
 * A local stand-in for Vosk server's WebSocket recognizer (alphacep/vosk-server asr_server.py), served with the
 * `ws` package on 127.0.0.1, port 0.
 *
 * It speaks the protocol as that server does: a text message containing "config" sets the recognizer up
 * (`{"config": {"sample_rate": N}}`); each binary message is audio and gets exactly one reply,
 * `{"partial": "…"}` or, when an utterance completes, `{"result": [{conf, end, start, word}…], "text": "…"}`;
 * the text message `{"eof" : 1}` (compared byte for byte) gets the final result, then the server closes.
 * Any other text message is a protocol violation: recorded, and the connection closed with 1011.
 *
 * It "recognizes" honestly from the samples received on that connection: a known phrase whose voiced part
 * (test/helpers/fake-openai-transcription.ts voicedPart) has arrived in full is a result, its words spread
 * over where it lies in the connection's audio; one whose first half has arrived is a partial.
 *
 * With `voiceActivity` it recognizes by energy instead, for audio that went through a meeting (Opus, WebRTC)
 * and so no longer matches any known samples: see FakeVoskVoiceActivity.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { voicedPart } from './fake-openai-transcription.ts';

export interface FakeVoskPhrase {
  readonly text: string;
  readonly pcm: Buffer;
}

/**
 * Every utterance (voice, then `silenceMs` of quiet) is "recognized" as `text`. While it goes on, partials are
 * growing prefixes of it, one word more per `msPerWord` of it, never the whole (of two words or more): the
 * last word comes only with the result, so a partial's text is told apart from the final's. The result's
 * words are spread over the voiced span on the connection's audio timeline. At eof an utterance still open is
 * the final result. Utterances listed in `emptyUtterances` end as real Vosk ends noise: partials, then an
 * empty result.
 */
export interface FakeVoskVoiceActivity {
  readonly text: string;
  /** RMS of a 10 ms block (s16) above which it is voice. Default 300. */
  readonly threshold?: number;
  /** Quiet after voice that ends an utterance. Default 500 ms. */
  readonly silenceMs?: number;
  /** Default 250 ms. */
  readonly msPerWord?: number;
  /**
   * Utterances (0-based, in the order the server closes them, over all connections) whose result is
   * `{"text": ""}` after their partials; recorded in the connection's `results` as ''.
   */
  readonly emptyUtterances?: readonly number[];
}

export interface FakeVoskOptions {
  /** Known phrases, recognized from their exact samples (unused with voiceActivity). */
  readonly phrases?: readonly FakeVoskPhrase[];
  readonly voiceActivity?: FakeVoskVoiceActivity;
  /** Connections (0-based, in order) dropped once they have taken this many bytes. */
  readonly dropAfterBytes?: ReadonlyMap<number, number>;
  /** Refuse the upgrade with this HTTP status. */
  readonly refuseWith?: number;
}

export interface FakeVoskConnection {
  readonly index: number;
  config: Record<string, unknown> | null;
  readonly audio: Buffer[];
  audioBytes: number;
  readonly results: string[];
  readonly partials: string[];
  eof: boolean;
  readonly violations: string[];
  closed: boolean;
}

export interface FakeVosk {
  readonly url: string;
  readonly connections: readonly FakeVoskConnection[];
  openConnections(): number;
  close(): Promise<void>;
}

const RATE = 16_000;
const BPS = RATE * 2;

export async function startFakeVosk(options: FakeVoskOptions): Promise<FakeVosk> {
  const phrases = (options.phrases ?? []).map((p) => ({ text: p.text, voiced: voicedPart(p.pcm) }));
  const connections: FakeVoskConnection[] = [];
  const utterances = { closed: 0 };
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, cb) => (options.refuseWith ? cb(false, options.refuseWith, 'refused') : cb(true)),
  });
  server.on('connection', (socket) => {
    const conn: FakeVoskConnection = {
      index: connections.length,
      config: null,
      audio: [],
      audioBytes: 0,
      results: [],
      partials: [],
      eof: false,
      violations: [],
      closed: false,
    };
    connections.push(conn);
    const finalized = new Set<number>();
    let audio = Buffer.alloc(0);
    const voice = options.voiceActivity ? new VoiceActivity(options.voiceActivity, conn, utterances) : null;
    socket.on('close', () => {
      conn.closed = true;
    });
    /** The next phrase complete in the audio and not yet given, as a Vosk result; else a partial. */
    const reply = (final: boolean): string => {
      for (let i = 0; i < phrases.length; i++) {
        if (finalized.has(i)) continue;
        const p = phrases[i]!;
        const at = audio.indexOf(p.voiced);
        if (at >= 0 && at % 2 === 0) {
          finalized.add(i);
          const words = p.text.split(/\s+/);
          const start = at / BPS;
          const step = p.voiced.length / BPS / words.length;
          conn.results.push(p.text);
          return JSON.stringify({
            result: words.map((word, k) => ({ conf: 0.93, end: start + (k + 1) * step, start: start + k * step, word })),
            text: p.text,
          });
        }
      }
      if (final) return JSON.stringify({ text: '' });
      for (let i = 0; i < phrases.length; i++) {
        if (finalized.has(i)) continue;
        const p = phrases[i]!;
        const half = p.voiced.subarray(0, Math.floor(p.voiced.length / 4) * 2);
        const at = half.length > 0 ? audio.indexOf(half) : -1;
        if (at >= 0 && at % 2 === 0) {
          const words = p.text.split(/\s+/);
          const partial = words.slice(0, Math.ceil(words.length / 2)).join(' ');
          conn.partials.push(partial);
          return JSON.stringify({ partial });
        }
      }
      return JSON.stringify({ partial: '' });
    };
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        const text = String(data);
        if (text.includes('config')) {
          conn.config = (JSON.parse(text) as { config: Record<string, unknown> }).config;
          return;
        }
        if (text === '{"eof" : 1}') {
          conn.eof = true;
          if (voice) {
            for (const r of voice.finish()) socket.send(r);
            socket.close(1000);
            return;
          }
          // Everything complete, each as its own result message, the last one being the final answer.
          let next = reply(true);
          for (;;) {
            const after = reply(true);
            if (after === JSON.stringify({ text: '' })) break;
            socket.send(next);
            next = after;
          }
          socket.send(next);
          socket.close(1000);
          return;
        }
        conn.violations.push(`unexpected text message ${text.slice(0, 60)}`);
        socket.close(1011);
        return;
      }
      if (conn.config === null) conn.violations.push('audio before config');
      const chunk = Buffer.from(data as Buffer);
      conn.audio.push(chunk);
      conn.audioBytes += chunk.length;
      if (voice === null) audio = Buffer.concat([audio, chunk]);
      const dropAt = options.dropAfterBytes?.get(conn.index);
      if (dropAt !== undefined && conn.audioBytes >= dropAt) {
        socket.terminate();
        return;
      }
      socket.send(voice ? voice.reply(chunk) : reply(false));
    });
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    openConnections: () => connections.filter((c) => !c.closed).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

const BLOCK = (RATE / 100) * 2;

/** One connection's energy endpointer: an utterance runs from its first loud block to its last one. */
class VoiceActivity {
  readonly #words: string[];
  readonly #threshold: number;
  readonly #silenceBytes: number;
  readonly #msPerWord: number;
  readonly #conn: FakeVoskConnection;
  readonly #empty: ReadonlySet<number>;
  /** Shared by the server's connections. */
  readonly #utterances: { closed: number };
  #carry = Buffer.alloc(0);
  /** Bytes of audio measured so far (the connection's timeline). */
  #at = 0;
  /** Byte offsets of the open utterance's first loud block and of the end of its last one. */
  #start: number | null = null;
  #lastVoiced = 0;
  /** Results of utterances closed but not yet replied (one reply per chunk). */
  readonly #closed: string[] = [];

  constructor(o: FakeVoskVoiceActivity, conn: FakeVoskConnection, utterances: { closed: number }) {
    this.#words = o.text.split(/\s+/).filter((w) => w !== '');
    this.#threshold = o.threshold ?? 300;
    this.#silenceBytes = Math.round(((o.silenceMs ?? 500) / 1000) * BPS);
    this.#msPerWord = o.msPerWord ?? 250;
    this.#conn = conn;
    this.#empty = new Set(o.emptyUtterances ?? []);
    this.#utterances = utterances;
  }

  reply(chunk: Buffer): string {
    const audio = Buffer.concat([this.#carry, chunk]);
    let b = 0;
    for (; b + BLOCK <= audio.length; b += BLOCK) {
      let sum = 0;
      for (let i = b; i < b + BLOCK; i += 2) sum += audio.readInt16LE(i) ** 2;
      if (Math.sqrt(sum / (BLOCK / 2)) <= this.#threshold) continue;
      if (this.#start !== null && this.#at + b - this.#lastVoiced >= this.#silenceBytes) this.#close();
      this.#start ??= this.#at + b;
      this.#lastVoiced = this.#at + b + BLOCK;
    }
    this.#carry = audio.subarray(b);
    this.#at += b;
    if (this.#start !== null && this.#at - this.#lastVoiced >= this.#silenceBytes) this.#close();
    const done = this.#closed.shift();
    if (done !== undefined) return done;
    if (this.#start === null) return JSON.stringify({ partial: '' });
    const heard = ((this.#lastVoiced - this.#start) / BPS) * 1000;
    const n = Math.min(Math.max(1, this.#words.length - 1), 1 + Math.floor(heard / this.#msPerWord));
    const partial = this.#words.slice(0, n).join(' ');
    this.#conn.partials.push(partial);
    return JSON.stringify({ partial });
  }

  /** The replies to eof: what is still unsaid, the last one being the final result. */
  finish(): string[] {
    if (this.#start !== null) this.#close();
    const out = this.#closed.splice(0);
    return out.length > 0 ? out : [JSON.stringify({ text: '' })];
  }

  #close(): void {
    const start = this.#start! / BPS;
    const step = (this.#lastVoiced / BPS - start) / this.#words.length;
    const text = this.#words.join(' ');
    this.#start = null;
    if (this.#empty.has(this.#utterances.closed++)) {
      this.#conn.results.push('');
      this.#closed.push(JSON.stringify({ text: '' }));
      return;
    }
    this.#conn.results.push(text);
    this.#closed.push(
      JSON.stringify({
        result: this.#words.map((word, k) => ({ conf: 0.9, end: start + (k + 1) * step, start: start + k * step, word })),
        text,
      }),
    );
  }
}
