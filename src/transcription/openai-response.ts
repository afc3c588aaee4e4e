/**
 * The OpenAI-compatible `/v1/audio/transcriptions` endpoint's answers, read into speech results, and what an
 * HTTP status means for the request. Pure. The protocol facts are in docs/transcription.md ("openai").
 */
import type { SpeechResult, SpeechWord } from './speech-engine.ts';
import type { SpeechFailureReason } from './speech-errors.ts';

export type OpenAiResponseFormat = 'verbose_json' | 'json';

/**
 * The language as the endpoint takes it: ISO-639-1 (or -3), the BCP-47 tag's primary subtag ('en-US' → 'en').
 */
export function openAiLanguage(tag: string): string | null {
  const primary = tag.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return /^[a-z]{2,3}$/.test(primary) ? primary : null;
}

interface Segment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly avgLogprob: number | null;
  readonly noSpeechProb: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function readWords(v: unknown): SpeechWord[] {
  if (!Array.isArray(v)) return [];
  const out: SpeechWord[] = [];
  for (const w of v) {
    if (w === null || typeof w !== 'object') continue;
    const o = w as Record<string, unknown>;
    const word = typeof o['word'] === 'string' ? o['word'].trim() : '';
    const start = num(o['start']);
    const end = num(o['end']);
    if (word === '' || start === null || end === null) continue;
    out.push({ word, startSec: Math.max(0, start), endSec: Math.max(0, start, end) });
  }
  return out;
}

function readSegments(v: unknown): Segment[] {
  if (!Array.isArray(v)) return [];
  const out: Segment[] = [];
  for (const s of v) {
    if (s === null || typeof s !== 'object') continue;
    const o = s as Record<string, unknown>;
    const start = num(o['start']);
    const end = num(o['end']);
    if (typeof o['text'] !== 'string' || start === null || end === null) continue;
    out.push({
      start: Math.max(0, start),
      end: Math.max(0, start, end),
      text: o['text'].trim(),
      avgLogprob: num(o['avg_logprob']),
      noSpeechProb: num(o['no_speech_prob']),
    });
  }
  return out;
}

/** Whisper's own test for a segment that is silence it made words up for. */
function isNoSpeech(s: Segment): boolean {
  return s.noSpeechProb !== null && s.avgLogprob !== null && s.noSpeechProb > 0.6 && s.avgLogprob < -1;
}

const confidenceOf = (s: Segment): number | null => (s.avgLogprob === null ? null : Math.min(1, Math.max(0, Math.exp(s.avgLogprob))));

/**
 * Final results with times relative to the utterance sent (0..durationSec): one per segment when the answer
 * has segments (with the words that start inside it), else one for the whole text (spanning its words, or the
 * whole utterance). Null when the body is not a transcription answer at all.
 */
export function parseTranscription(body: unknown, durationSec: number): SpeechResult[] | null {
  if (body === null || typeof body !== 'object' || typeof (body as Record<string, unknown>)['text'] !== 'string') return null;
  const o = body as Record<string, unknown>;
  const text = (o['text'] as string).trim();
  const words = readWords(o['words']);
  const allSegments = readSegments(o['segments']);
  const segments = allSegments.filter((s) => s.text !== '' && !isNoSpeech(s));
  const within = (t: number): number => Math.min(durationSec, t);
  if (allSegments.length > 0) {
    return segments.map((s, i) => {
      const next = segments[i + 1];
      const mine = words.filter((w) => w.startSec >= s.start - 0.01 && (next === undefined || w.startSec < next.start - 0.01));
      const startSec = within(s.start);
      const endSec = Math.max(startSec, within(s.end));
      return {
        final: true,
        text: s.text,
        confidence: confidenceOf(s),
        startSec,
        endSec,
        ...(mine.length > 0
          ? {
              words: mine.map((w) => ({
                word: w.word,
                startSec: Math.max(startSec, within(w.startSec)),
                endSec: Math.min(endSec, Math.max(startSec, within(w.endSec))),
              })),
            }
          : {}),
      };
    });
  }
  if (text === '') return [];
  if (words.length > 0) {
    const startSec = within(words[0]!.startSec);
    const endSec = Math.max(startSec, within(words.at(-1)!.endSec));
    return [
      {
        final: true,
        text,
        confidence: null,
        startSec,
        endSec,
        words: words.map((w) => ({
          word: w.word,
          startSec: Math.max(startSec, within(w.startSec)),
          endSec: Math.min(endSec, within(w.endSec)),
        })),
      },
    ];
  }
  return [{ final: true, text, confidence: null, startSec: 0, endSec: durationSec }];
}

export type StatusVerdict =
  | { readonly kind: 'retry'; readonly reason: SpeechFailureReason }
  | { readonly kind: 'fatal'; readonly reason: SpeechFailureReason };

/** What a non-2xx answer means: 401/403 credentials, 404 a wrong URL or model, 429/5xx worth another try. */
export function classifyOpenAiStatus(status: number): StatusVerdict {
  if (status === 401 || status === 403) return { kind: 'fatal', reason: 'auth' };
  if (status === 429) return { kind: 'retry', reason: 'quota' };
  if (status === 408 || status === 409 || status === 425 || status >= 500) return { kind: 'retry', reason: 'unavailable' };
  return { kind: 'fatal', reason: 'invalid_request' };
}

/** Retry-After (seconds or an HTTP date) in ms, or null. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** The server's own error text (OpenAI's `{error: {message}}`), short, with the key cut out wherever it appears. */
export function serverErrorText(body: string, secrets: readonly string[]): string {
  let text = body;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; detail?: unknown; message?: unknown };
    const e = parsed.error;
    const m = typeof e === 'object' && e !== null ? e.message : (e ?? parsed.detail ?? parsed.message);
    if (typeof m === 'string') text = m;
  } catch {
    // not JSON: the raw text
  }
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join('[redacted]');
  // Some servers echo the key masked but with its ends ("sk-ab****cdef"): drop anything key-like.
  text = text.replace(/\b(sk|key|api)[-_][A-Za-z0-9_*.-]{4,}/gi, '[redacted]');
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
