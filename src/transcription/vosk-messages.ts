/**
 * Vosk server's WebSocket protocol (alphacep/vosk-server, docs/transcription.md "vosk"), the parts Scriba
 * speaks. Pure.
 *
 * Client → server: first a text message `{"config": {"sample_rate": 16000}}`, then binary LINEAR16 chunks,
 * and at the end the text message `{"eof" : 1}` — byte for byte: the reference server compares the string.
 * Server → client: one JSON text reply per binary chunk, `{"partial": "…"}` while an utterance goes on or
 * `{"result": [{"conf", "start", "end", "word"}…], "text": "…"}` when its endpointer closes one (`result`
 * absent when the server does not show words); after eof one last result, then the server closes.
 * Times are seconds of audio since the connection's first chunk.
 */
import type { SpeechWord } from './speech-engine.ts';

export const VOSK_EOF = '{"eof" : 1}';

export function voskConfigMessage(sampleRate: number): string {
  return JSON.stringify({ config: { sample_rate: sampleRate } });
}

export type VoskReply =
  | { readonly kind: 'partial'; readonly text: string }
  | { readonly kind: 'result'; readonly text: string; readonly words: readonly SpeechWord[]; readonly confidence: number | null }
  | { readonly kind: 'invalid'; readonly detail: string };

export function parseVoskReply(raw: string): VoskReply {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', detail: `not JSON: ${raw.slice(0, 80)}` };
  }
  if (o === null || typeof o !== 'object') return { kind: 'invalid', detail: 'not an object' };
  const m = o as Record<string, unknown>;
  if (typeof m['partial'] === 'string') return { kind: 'partial', text: m['partial'].trim() };
  if (typeof m['text'] !== 'string') return { kind: 'invalid', detail: `neither partial nor text: ${raw.slice(0, 80)}` };
  const words: SpeechWord[] = [];
  const confs: number[] = [];
  if (Array.isArray(m['result'])) {
    for (const w of m['result']) {
      if (w === null || typeof w !== 'object') continue;
      const x = w as Record<string, unknown>;
      if (typeof x['word'] !== 'string' || typeof x['start'] !== 'number' || typeof x['end'] !== 'number') continue;
      words.push({ word: x['word'], startSec: Math.max(0, x['start']), endSec: Math.max(0, x['start'], x['end']) });
      if (typeof x['conf'] === 'number') confs.push(Math.min(1, Math.max(0, x['conf'])));
    }
  }
  const confidence = confs.length === words.length && confs.length > 0 ? confs.reduce((a, b) => a + b, 0) / confs.length : null;
  return { kind: 'result', text: m['text'].trim(), words, confidence };
}
