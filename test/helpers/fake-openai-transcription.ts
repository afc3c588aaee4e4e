/**
 * A local stand-in for an OpenAI-compatible `POST /v1/audio/transcriptions` (OpenAI's API reference; what
 * faster-whisper servers and whisper.cpp's server also accept), on 127.0.0.1, port 0.
 *
 * It takes the request as OpenAI does: multipart/form-data with `file` (here a 16-bit PCM WAV or a FLAC, told
 * apart by the file name's extension as OpenAI does; its content type and content must agree: FLAC is decoded
 * with ffmpeg, lossless, so the samples are the ones sent),
 * `model`, optional `language` (ISO-639-1), `response_format` (json | text | verbose_json),
 * `timestamp_granularities[]` (word | segment, verbose_json only), `temperature`; `Authorization: Bearer`
 * checked when it is given a key (401 with OpenAI's error body otherwise, which quotes the key masked); an
 * unknown model gets 404. It answers `verbose_json` as OpenAI does: `{task, language, duration, text,
 * segments[{id, seek, start, end, text, tokens, temperature, avg_logprob, compression_ratio, no_speech_prob}],
 * words[{word, start, end}]}` (words only when asked for).
 *
 * It "recognizes" honestly from the samples it received: it is told the PCM of each known phrase and finds the
 * phrase's voiced part (its samples with the leading and trailing near-silence trimmed) in the uploaded audio
 * by exact match; segment times are where that part lies in the file.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAiPhrase {
  readonly text: string;
  /** 16 kHz mono s16le as the test writes it into the engine. */
  readonly pcm: Buffer;
}

export interface FakeOpenAiOptions {
  readonly phrases: readonly FakeOpenAiPhrase[];
  /** Required bearer key; absent: no auth. */
  readonly apiKey?: string;
  /** Models it serves. Default ['whisper-1']. */
  readonly models?: readonly string[];
  /** Statuses to answer, in order, before answering normally (e.g. [503, 429]). */
  readonly failFirst?: readonly number[];
  /** Retry-After header sent with those failures. */
  readonly retryAfter?: string;
  /** Held this long before answering. */
  readonly delayMs?: number;
}

export interface FakeOpenAiRequest {
  readonly fields: Record<string, string[]>;
  readonly fileName: string | null;
  readonly fileType: string | null;
  /** The file's samples (the WAV's, or the FLAC's decoded). */
  readonly pcm: Buffer;
  readonly authorization: string | null;
  readonly status: number;
  readonly recognized: string[];
}

export interface FakeOpenAi {
  /** e.g. http://127.0.0.1:1234/v1 */
  readonly baseUrl: string;
  readonly requests: readonly FakeOpenAiRequest[];
  /** Requests being handled now. */
  openRequests(): number;
  /** The most requests it ever handled at once. */
  readonly peakConcurrency: number;
  close(): Promise<void>;
}

const RATE = 16_000;
const EDGE = 200;

/** The phrase's samples without near-silent edges, so an utterance cut with any padding still contains them. */
export function voicedPart(pcm: Buffer): Buffer {
  const n = Math.floor(pcm.length / 2);
  let a = 0;
  let b = n;
  while (a < n && Math.abs(pcm.readInt16LE(a * 2)) <= EDGE) a++;
  while (b > a && Math.abs(pcm.readInt16LE((b - 1) * 2)) <= EDGE) b--;
  return pcm.subarray(a * 2, b * 2);
}

/** Reads a WAV's format and samples; an error text when it is not 16-bit PCM. */
function readWav(file: Buffer): { pcm: Buffer; rate: number; channels: number } | string {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') return 'not a WAV file';
  let at = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | null = null;
  while (at + 8 <= file.length) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    if (id === 'fmt ')
      fmt = {
        tag: file.readUInt16LE(at + 8),
        channels: file.readUInt16LE(at + 10),
        rate: file.readUInt32LE(at + 12),
        bits: file.readUInt16LE(at + 22),
      };
    if (id === 'data') {
      if (fmt === null || fmt.tag !== 1 || fmt.bits !== 16) return 'WAV is not 16-bit PCM';
      if (at + 8 + size !== file.length) return `WAV data size ${size} does not match the file`;
      return { pcm: file.subarray(at + 8, at + 8 + size), rate: fmt.rate, channels: fmt.channels };
    }
    at += 8 + size + (size % 2);
  }
  return 'WAV without data';
}

/** FLAC's STREAMINFO (the first metadata block, which the format requires) and its samples through ffmpeg. */
async function readFlac(file: Buffer): Promise<{ pcm: Buffer; rate: number; channels: number } | string> {
  if (file.length < 42 || file.toString('ascii', 0, 4) !== 'fLaC' || (file[4]! & 0x7f) !== 0) return 'not a FLAC file';
  const rate = (file[18]! << 12) | (file[19]! << 4) | (file[20]! >> 4);
  const channels = ((file[20]! >> 1) & 7) + 1;
  const bits = (((file[20]! & 1) << 4) | (file[21]! >> 4)) + 1;
  if (bits !== 16) return `FLAC is ${bits}-bit`;
  const pcm = await new Promise<Buffer | string>((resolve) => {
    const child = execFile(
      'ffmpeg',
      ['-nostdin', '-v', 'error', '-f', 'flac', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve(err ? `FLAC does not decode: ${String(stderr).trim() || err.message}` : stdout),
    );
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(file);
  });
  return typeof pcm === 'string' ? pcm : { pcm, rate, channels };
}

/** The uploaded file by its extension, as OpenAI decides; the content type, when given, must say the same. */
async function readAudio(file: File): Promise<{ pcm: Buffer; rate: number; channels: number } | string> {
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  const bytes = Buffer.from(await file.arrayBuffer());
  const types: Record<string, readonly string[]> = {
    wav: ['audio/wav', 'audio/x-wav', 'audio/wave'],
    flac: ['audio/flac', 'audio/x-flac'],
  };
  const accepted = types[ext];
  if (accepted === undefined) return `file name ${JSON.stringify(file.name)}: supported formats are ['flac', 'wav']`;
  if (file.type !== '' && !accepted.includes(file.type)) return `content type ${file.type} does not match .${ext}`;
  return ext === 'flac' ? readFlac(bytes) : readWav(bytes);
}

function openAiError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<FakeOpenAi> {
  const models = options.models ?? ['whisper-1'];
  const phrases = options.phrases.map((p) => ({ text: p.text, voiced: voicedPart(p.pcm) }));
  const failures = [...(options.failFirst ?? [])];
  const requests: FakeOpenAiRequest[] = [];
  let open = 0;
  let peak = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const authorization = req.headers.authorization ?? null;
    const record = (status: number, extra: Partial<FakeOpenAiRequest> = {}): void => {
      requests.push({ fields: {}, fileName: null, fileType: null, pcm: Buffer.alloc(0), authorization, status, recognized: [], ...extra });
    };
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
      record(404);
      return openAiError(res, 404, `Invalid URL (${req.method} ${req.url})`, 'invalid_request_error', null);
    }
    if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
      record(401);
      const given = authorization?.replace(/^Bearer /, '') ?? '';
      const masked = given.length > 8 ? `${given.slice(0, 3)}${'*'.repeat(given.length - 7)}${given.slice(-4)}` : given;
      return openAiError(
        res,
        401,
        `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    const failure = failures.shift();
    if (failure !== undefined) {
      record(failure);
      return openAiError(
        res,
        failure,
        failure === 429 ? 'Rate limit reached' : 'The server had an error while processing your request.',
        failure === 429 ? 'requests' : 'server_error',
        null,
        options.retryAfter ? { 'retry-after': options.retryAfter } : {},
      );
    }
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
    } catch {
      record(400);
      return openAiError(res, 400, 'Could not parse multipart form', 'invalid_request_error', null);
    }
    const fields: Record<string, string[]> = {};
    let file: File | null = null;
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') (fields[k] ??= []).push(v);
      else if (k === 'file') file = v;
    }
    const bad = (message: string): void => {
      record(400, { fields });
      openAiError(res, 400, message, 'invalid_request_error', null);
    };
    if (file === null) return bad("Missing required parameter: 'file'.");
    const model = fields['model']?.[0];
    if (model === undefined) return bad('you must provide a model parameter');
    const format = fields['response_format']?.[0] ?? 'json';
    if (!['json', 'text', 'verbose_json'].includes(format)) return bad(`Invalid response_format ${format}`);
    const granularities = fields['timestamp_granularities[]'] ?? [];
    if (granularities.some((g) => g !== 'word' && g !== 'segment')) return bad('Invalid timestamp_granularities[]');
    if (granularities.length > 0 && format !== 'verbose_json') return bad('timestamp_granularities requires response_format=verbose_json');
    const language = fields['language']?.[0];
    if (language !== undefined && !/^[a-z]{2,3}$/.test(language)) return bad(`Invalid language ${language}: use ISO-639-1`);
    const wav = await readAudio(file);
    if (typeof wav === 'string') return bad(`Invalid file format: ${wav}`);
    if (!models.includes(model)) {
      record(404, { fields });
      return openAiError(
        res,
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    }
    // Recognition: every known phrase whose voiced part is in the file, in order of where it is.
    const secPerByte = 1 / (wav.rate * 2 * wav.channels);
    const found = phrases
      .map((p) => ({ p, at: p.voiced.length > 0 ? wav.pcm.indexOf(p.voiced) : -1 }))
      .filter((f) => f.at >= 0 && f.at % 2 === 0)
      .sort((a, b) => a.at - b.at);
    const segments = found.map((f, id) => {
      const start = f.at * secPerByte;
      const end = (f.at + f.p.voiced.length) * secPerByte;
      return {
        id,
        seek: 0,
        start,
        end,
        text: ` ${f.p.text}`,
        tokens: [],
        temperature: 0,
        avg_logprob: -0.105,
        compression_ratio: 1.2,
        no_speech_prob: 0.01,
      };
    });
    const words = segments.flatMap((s) => {
      const ws = s.text.trim().split(/\s+/);
      const step = (s.end - s.start) / ws.length;
      return ws.map((word, i) => ({ word, start: s.start + i * step, end: s.start + (i + 1) * step }));
    });
    const text = segments.map((s) => s.text.trim()).join(' ');
    record(200, { fields, fileName: file.name, fileType: file.type, pcm: wav.pcm, recognized: segments.map((s) => s.text.trim()) });
    if (format === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(text);
      return;
    }
    const answer =
      format === 'json'
        ? { text }
        : {
            task: 'transcribe',
            language: language === 'en' ? 'english' : (language ?? 'english'),
            duration: wav.pcm.length * secPerByte,
            text,
            segments: granularities.length === 0 || granularities.includes('segment') ? segments : undefined,
            words: granularities.includes('word') ? words : undefined,
          };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  }

  const server = createServer((req, res) => {
    open += 1;
    peak = Math.max(peak, open);
    res.on('close', () => {
      open -= 1;
    });
    handle(req, res).catch(() => {
      if (!res.headersSent) openAiError(res, 500, 'fake server failure', 'server_error', null);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    openRequests: () => open,
    get peakConcurrency() {
      return peak;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const FAKE_RATE = RATE;
