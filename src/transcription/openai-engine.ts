/**
 * Whisper (or any model) behind an OpenAI-compatible `POST {baseUrl}/audio/transcriptions`: OpenAI itself,
 * faster-whisper servers, whisper.cpp's server, LocalAI, vLLM. Each speaker's audio is cut into utterances by
 * the Silero VAD (utterance-stream.ts); each utterance goes as one 16 kHz mono WAV or FLAC (`format`) in a multipart request
 * (fields file, model, language, response_format, timestamp_granularities[]); segment and word times in the
 * answer become the results' times (docs/transcription.md, "openai").
 *
 * 429 and 5xx (and timeouts, refused connections) are retried with back-off, honouring Retry-After; 401/403
 * fail the stream as `auth`, 404 and other refusals as `invalid_request`: not retried. The API key goes only
 * into the Authorization header: never into logs or error messages (the server's error text is scrubbed of it).
 */
import type { Logger } from '../log/logger.ts';
import { sleep } from '../lib/abort.ts';
import { encodeFlac } from './flac-encoder.ts';
import { wavHeader } from './pcm-chunk.ts';
import {
  classifyOpenAiStatus,
  openAiLanguage,
  type OpenAiResponseFormat,
  parseTranscription,
  retryAfterMs,
  serverErrorText,
} from './openai-response.ts';
import { loadSileroVad, type SileroVadModel } from './silero-vad.ts';
import type { SpeechEngine, SpeechResult } from './speech-engine.ts';
import { SpeechEngineError, speechAborted } from './speech-errors.ts';
import { ConcurrencyLimit, type Utterance, UtteranceStream } from './utterance-stream.ts';
import type { VadSegmenterOptions } from './vad-segmenter.ts';
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';

export interface OpenAiSpeechOptions {
  /** Up to and including the version, e.g. 'https://api.openai.com/v1' or 'http://127.0.0.1:8000/v1'. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …`; empty or absent: no header (a local server without auth). */
  readonly apiKey?: string;
  /** e.g. 'whisper-1', 'Systran/faster-whisper-small'. */
  readonly model: string;
  /** Default 'verbose_json' (segment and word times); 'json' for models that only give text. */
  readonly responseFormat?: OpenAiResponseFormat;
  /** The uploaded file. Default 'wav'; 'flac' is ~40 % smaller, for an ffmpeg run per utterance. */
  readonly format?: OpenAiAudioFormat;
  /** Encodes FLAC (tests); default ffmpeg (flac-encoder.ts). */
  readonly encodeFlac?: typeof encodeFlac;
  /** One request's limit, retries aside. Default 60 s. */
  readonly timeoutMs?: number;
  /** Requests under way at once, across all streams of the engine. Default 4. */
  readonly concurrency?: number;
  /** Back-off before each retry; its length bounds the retries. Default 1 s, 3 s, 10 s. */
  readonly retryDelaysMs?: readonly number[];
  /** A server's Retry-After is honoured up to this. Default 30 s. */
  readonly maxRetryAfterMs?: number;
  /** Voice-activity segmentation. */
  readonly segmenter?: VadSegmenterOptions;
  /** A loaded Silero model to share; default: loaded once for this engine. */
  readonly vad?: SileroVadModel;
  readonly logger?: Logger;
}

export type UtteranceSpeechEngine = SpeechEngine & {
  /** Streams not yet ended or aborted (tests, metrics). */
  readonly openStreams: number;
};

const DEFAULTS = { timeoutMs: 60_000, concurrency: 4, retryDelaysMs: [1_000, 3_000, 10_000], maxRetryAfterMs: 30_000 } as const;

/** The endpoint's URL; refuses what cannot be one. Pure. */
export function openAiTranscriptionsUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new SpeechEngineError('invalid_request', 'transcription.openai.baseUrl is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SpeechEngineError('invalid_request', 'transcription.openai.baseUrl must be http(s)');
  if (url.username !== '' || url.password !== '')
    throw new SpeechEngineError('invalid_request', 'transcription.openai.baseUrl must not carry credentials (use apiKey)');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/audio/transcriptions`;
  url.search = '';
  url.hash = '';
  return url;
}

export type OpenAiAudioFormat = 'wav' | 'flac';

/** The uploaded file: a WAV from the PCM, or the FLAC already encoded from it. */
export type OpenAiAudioFile = { readonly format: 'wav'; readonly pcm: Buffer } | { readonly format: 'flac'; readonly flac: Buffer };

/** Servers pick the decoder by the file name's extension (OpenAI, faster-whisper) or its type. Pure. */
function audioBlob(file: OpenAiAudioFile): { blob: Blob; name: string } {
  if (file.format === 'flac') return { blob: new Blob([new Uint8Array(file.flac)], { type: 'audio/flac' }), name: 'utterance.flac' };
  const wav = new Uint8Array(44 + file.pcm.length);
  wav.set(wavHeader(file.pcm.length), 0);
  wav.set(file.pcm, 44);
  return { blob: new Blob([wav], { type: 'audio/wav' }), name: 'utterance.wav' };
}

/** The multipart body of one request. Pure. */
export function openAiTranscriptionForm(
  audio: Buffer | OpenAiAudioFile,
  fields: { model: string; language: string; responseFormat: OpenAiResponseFormat },
): FormData {
  const form = new FormData();
  const { blob, name } = audioBlob(Buffer.isBuffer(audio) ? { format: 'wav', pcm: audio } : audio);
  form.append('file', blob, name);
  form.append('model', fields.model);
  form.append('language', fields.language);
  form.append('response_format', fields.responseFormat);
  if (fields.responseFormat === 'verbose_json') {
    form.append('timestamp_granularities[]', 'segment');
    form.append('timestamp_granularities[]', 'word');
  }
  form.append('temperature', '0');
  return form;
}

export async function createOpenAiSpeechEngine(options: OpenAiSpeechOptions): Promise<UtteranceSpeechEngine> {
  const url = openAiTranscriptionsUrl(options.baseUrl);
  if (options.model.trim() === '') throw new SpeechEngineError('invalid_request', 'transcription.openai.model is required');
  const vad = options.vad ?? (await loadSileroVad());
  const ownsVad = options.vad === undefined;
  const limit = new ConcurrencyLimit(options.concurrency ?? DEFAULTS.concurrency);
  const live = new Set<UtteranceStream>();
  let closed = false;
  const post = poster(url, options);
  return {
    name: 'openai',
    get openStreams() {
      return live.size;
    },
    start(start) {
      if (closed) throw new SpeechEngineError('engine_failed', 'the openai speech engine is closed');
      const language = openAiLanguage(start.language);
      if (language === null) throw new SpeechEngineError('unsupported_language', `"${start.language}" has no ISO-639 language code`);
      const label = start.label ?? 'stream';
      const stream: UtteranceStream = new UtteranceStream(start, {
        vad: vad.createState(),
        ...(options.segmenter ? { segmenter: options.segmenter } : {}),
        limit,
        transcribe: (u, signal) => post(u, language, label, signal),
        onGone: () => live.delete(stream),
      });
      live.add(stream);
      return stream;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of [...live]) s.abort();
      if (ownsVad) await vad.close();
    },
  };
}

function poster(url: URL, o: OpenAiSpeechOptions) {
  const responseFormat = o.responseFormat ?? 'verbose_json';
  const format = o.format ?? 'wav';
  const flac = o.encodeFlac ?? encodeFlac;
  const delays = o.retryDelaysMs ?? DEFAULTS.retryDelaysMs;
  const secrets = o.apiKey ? [o.apiKey] : [];
  const where = url.origin;
  return async function transcribe(u: Utterance, language: string, label: string, signal: AbortSignal): Promise<readonly SpeechResult[]> {
    const durationSec = u.pcm.length / 2 / SPEECH_SAMPLE_RATE;
    const file: OpenAiAudioFile = format === 'flac' ? { format, flac: await flac(u.pcm, { signal, label }) } : { format, pcm: u.pcm };
    // Encoded once into bytes: a retry sends the same body, and undici's streamed FormData body can fail
    // unhandled when the connection is refused mid-upload.
    const encoded = new Request(url, {
      method: 'POST',
      body: openAiTranscriptionForm(file, { model: o.model, language, responseFormat }),
    });
    const body = Buffer.from(await encoded.arrayBuffer());
    const contentType = encoded.headers.get('content-type')!;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw speechAborted(label);
      let failure: { reason: 'quota' | 'unavailable'; detail: string; waitMs: number | null };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            accept: 'application/json',
            'content-type': contentType,
            ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? DEFAULTS.timeoutMs)]),
          redirect: 'error',
        });
        const answer = await res.text();
        if (res.ok) {
          let parsed: SpeechResult[] | null = null;
          try {
            parsed = parseTranscription(JSON.parse(answer), durationSec);
          } catch {
            parsed = null;
          }
          if (parsed === null)
            throw new SpeechEngineError(
              'invalid_request',
              `${where} did not answer with a transcription for ${label} (is baseUrl an OpenAI-compatible /v1?)`,
            );
          return parsed;
        }
        const verdict = classifyOpenAiStatus(res.status);
        // A refused key's message may quote part of it: none of a 401/403 body is repeated.
        const text = verdict.reason === 'auth' ? '' : serverErrorText(answer, secrets);
        if (verdict.kind === 'fatal') {
          const hint =
            verdict.reason === 'auth'
              ? ' (check transcription.openai.apiKey)'
              : res.status === 404
                ? ` (check transcription.openai.baseUrl and model "${o.model}")`
                : '';
          throw new SpeechEngineError(
            verdict.reason,
            `${where} refused the transcription request for ${label}: HTTP ${res.status}${text ? `: ${text}` : ''}${hint}`,
            { engineCode: String(res.status) },
          );
        }
        failure = {
          reason: verdict.reason === 'quota' ? 'quota' : 'unavailable',
          detail: `HTTP ${res.status}${text ? `: ${text}` : ''}`,
          waitMs: retryAfterMs(res.headers.get('retry-after'), Date.now()),
        };
      } catch (err) {
        if (err instanceof SpeechEngineError) throw err;
        if (signal.aborted) throw speechAborted(label);
        const e = err as Error & { cause?: { code?: string } };
        const detail =
          e.name === 'TimeoutError' ? `no answer within ${o.timeoutMs ?? DEFAULTS.timeoutMs} ms` : (e.cause?.code ?? e.message);
        failure = { reason: 'unavailable', detail, waitMs: null };
      }
      const delay = delays[attempt];
      if (delay === undefined) {
        throw new SpeechEngineError(failure.reason, `${where} failed ${attempt + 1} times in a row for ${label} (${failure.detail})`);
      }
      const waitMs = Math.max(delay, Math.min(failure.waitMs ?? 0, o.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs));
      o.logger?.warn({ label, attempt: attempt + 1, delayMs: waitMs, failure: failure.detail }, 'transcription request failed; retrying');
      await sleep(waitMs, signal).catch(() => {
        throw speechAborted(label);
      });
    }
  };
}
