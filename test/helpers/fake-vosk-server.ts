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
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { voicedPart } from './fake-openai-transcription.ts';

export interface FakeVoskPhrase {
  readonly text: string;
  readonly pcm: Buffer;
}

export interface FakeVoskOptions {
  readonly phrases: readonly FakeVoskPhrase[];
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
  const phrases = options.phrases.map((p) => ({ text: p.text, voiced: voicedPart(p.pcm) }));
  const connections: FakeVoskConnection[] = [];
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
      audio = Buffer.concat([audio, chunk]);
      const dropAt = options.dropAfterBytes?.get(conn.index);
      if (dropAt !== undefined && conn.audioBytes >= dropAt) {
        socket.terminate();
        return;
      }
      socket.send(reply(false));
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
