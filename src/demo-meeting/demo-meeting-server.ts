// A synthetic Jitsi Meet deployment for tests and the demo: one plain node:http server that answers every
// path with a meeting page (page.html + page.js, inlined) and serves the fixture media under /media/.
// The page answers the probes a recorder makes (APP.conference._room...), see page.js.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { onAbort } from '../lib/abort.ts';
import { resolveFixturesDir } from './fixtures.ts';

export {
  DEFAULT_FIXTURES_DIR,
  FIXTURE_CYCLE_SECONDS,
  FIXTURE_SLOT_SECONDS,
  ensureFixtures,
  loadFixtureManifest,
  resolveFixturesDir,
} from './fixtures.ts';
export type { FixtureManifest, FixtureParticipant } from './fixtures.ts';

export interface DemoMeetingOptions {
  /** 0 (default) = any free port. */
  port?: number | undefined;
  /** Default '127.0.0.1'. */
  host?: string | undefined;
  /** Default resolveFixturesDir(): SCRIBA_FIXTURES_DIR or <repo>/.cache/fixtures. */
  fixturesDir?: string | undefined;
  /** Aborting closes the server. */
  signal?: AbortSignal | undefined;
  /** The tiles' content when a URL does not say (`content=`): 'flat' (default) or 'camera'. */
  defaultContent?: DemoContent | undefined;
}

/** 'flat': flat-colour tiles (participant-N.webm); 'camera': camera-like ones (camera-N.webm). */
export type DemoContent = 'flat' | 'camera';

export interface DemoMeeting {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:PORT; append /room or /tenant/room. */
  readonly url: string;
  readonly port: number;
  readonly fixturesDir: string;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * Where the page puts the A/V sync tile (a <video> of sync.webm with id "sync-tile"): anchored to the
 * bottom-right corner of the viewport, 160x90 CSS pixels, no margin, never covered by anything. Present
 * while at least one participant is in the meeting (and `sync` is not 0).
 */
export const SYNC_TILE = {
  elementId: 'sync-tile',
  anchor: 'bottom-right',
  right: 0,
  bottom: 0,
  width: 160,
  height: 90,
} as const;

/**
 * Where the page puts the wall-clock tile (`clock=1`, off by default): bottom-left, 160x90 CSS pixels, white
 * for 100 ms from each mark of the wall clock (Date.now(), redrawn each animation frame) and black otherwise.
 * A recording of it shows where the file's video timeline sits against the wall clock, so benchmarks can tell
 * the display path's lateness apart from the media elements' own A/V offset. With `clockBeep=1` a `beepHz`
 * tone sounds from the same marks, scheduled on the audio output's own timestamp, so the sound path's lateness
 * shows too (the picture's includes the page's own rendering of the tile: docs/capture.md).
 *
 * The mark is not the whole second itself but `clockMarkMs`: the second plus 0, 1/10, … 9/10 of a 30 fps
 * frame in turn. A picture sampled at 30 fps shows an event up to one frame after it happens; a mark locked
 * to the second would land at the same place between two grabs for a whole recording (a phase that is new
 * in every run), and so would every lateness measured from it. Stepping through the frame averages that out,
 * as a meeting's own video, which arrives at no fixed phase, does.
 */
export const CLOCK_TILE = {
  elementId: 'clock-tile',
  anchor: 'bottom-left',
  left: 0,
  bottom: 0,
  width: 160,
  height: 90,
  flashMs: 100,
  beepHz: 2000,
  markSteps: 10,
  markStepMs: 100 / 30,
} as const;

/** The wall-clock mark (ms since the epoch) of the whole second `secondMs`. Pure; page.js computes the same from CLOCK_TILE. */
export function clockMarkMs(secondMs: number): number {
  const n = CLOCK_TILE.markSteps;
  const step = ((Math.round(secondMs / 1000) % n) + n) % n;
  return secondMs + step * CLOCK_TILE.markStepMs;
}

type Viewport = { readonly width: number; readonly height: number };
type Rect = { x: number; y: number; width: number; height: number };

/** A fixed tile's rectangle in device pixels, from its CSS box at the bottom-left or bottom-right corner. */
function bottomCornerRect(
  tile: { readonly width: number; readonly height: number; readonly bottom: number } & (
    | { readonly left: number }
    | { readonly right: number }
  ),
  viewport: Viewport,
  s: number,
): Rect {
  const x = 'left' in tile ? tile.left : viewport.width - tile.right - tile.width;
  return {
    x: Math.round(x * s),
    y: Math.round((viewport.height - tile.bottom - tile.height) * s),
    width: Math.round(tile.width * s),
    height: Math.round(tile.height * s),
  };
}

/** The wall-clock tile's rectangle in device pixels for a viewport of the given CSS size. */
export function clockTileRect(viewport: Viewport, deviceScaleFactor = 1): Rect {
  return bottomCornerRect(CLOCK_TILE, viewport, deviceScaleFactor);
}

/** The sync tile's rectangle in device pixels for a viewport of the given CSS size. */
export function syncTileRect(viewport: Viewport, deviceScaleFactor = 1): Rect {
  return bottomCornerRect(SYNC_TILE, viewport, deviceScaleFactor);
}

/** Query parameters that script the synthetic meeting (all optional; times in seconds after the join). */
export interface DemoMeetingScript {
  /** 0..6, default 3. */
  participants?: number;
  /** Everyone leaves at this time. */
  leaveAfter?: number;
  /** Media stops (paused, silent, download bitrate 0) while participants stay. */
  mediaStopAfter?: number;
  /** Seconds from page load until isJoined() is true (default 0.3). */
  joinDelay?: number;
  neverJoin?: boolean;
  e2ee?: boolean;
  /** 1-based participant numbers whose isHiddenFromRecorder() is true (not rendered for a recorder). */
  hiddenFromRecorder?: readonly number[];
  /** 1-based participant numbers that are audio and video muted. */
  muted?: readonly number[];
  /** Show the sync tile (default true). */
  sync?: boolean;
  /**
   * The sync clip's playback rate (0.5–2, default 1). Slightly off 1 (e.g. 1.001) its pulses slide across the
   * 30 fps grabs, so a recording averages their phase instead of keeping one (docs/capture.md).
   */
  syncRate?: number;
  /** Show the wall-clock tile (CLOCK_TILE; default false). */
  clock?: boolean;
  /** With the wall-clock tile, a CLOCK_TILE.beepHz beep for 100 ms from each of its marks (default false). */
  clockBeep?: boolean;
  /** The tiles' content (default: the server's defaultContent, normally 'flat'). */
  content?: DemoContent;
  /** Tracks hand out no MediaStream(Track) (no getTrack/getOriginalStream): the audio tap cannot start. */
  noTrackStreams?: boolean;
  /** The recorder is kicked (xmpp.kicked, conference.kicked) at this time. */
  kickAfter?: number;
  /** getConnectionState() turns 'disconnected' and media stops at this time. */
  iceFailAfter?: number;
}

/**
 * `<base>/<roomPath>?<script as query>` (no hash: the recorder appends its own). `extraQuery` adds e.g. jwt.
 */
export function demoMeetingUrl(
  baseUrl: string,
  roomPath: string,
  script: DemoMeetingScript = {},
  extraQuery: Readonly<Record<string, string>> = {},
): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(script) as [string, unknown][]) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') q.set(key, value ? '1' : '0');
    else if (Array.isArray(value)) q.set(key, value.join(','));
    else q.set(key, String(value));
  }
  for (const [key, value] of Object.entries(extraQuery)) q.set(key, value);
  const qs = q.toString();
  return `${baseUrl.replace(/\/+$/, '')}/${roomPath.replace(/^\/+/, '')}${qs ? `?${qs}` : ''}`;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.webm': 'video/webm',
  '.wav': 'audio/wav',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A media file name: no separators, no leading dot (so no `..` and no hidden files). */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range against a file of `size` bytes: the range, 'unsatisfiable' (→ 416), or null (→ 200 with
 * the whole file: no header, a malformed one, or several ranges, which RFC 9110 lets a server ignore).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

interface PageTemplate {
  readonly html: string;
  readonly script: string;
}

async function loadPageTemplate(): Promise<PageTemplate> {
  const [html, script] = await Promise.all([
    readFile(new URL('./page.html', import.meta.url), 'utf8'),
    readFile(new URL('./page.js', import.meta.url), 'utf8'),
  ]);
  return { html, script };
}

/** JSON safe to put inside an inline <script>. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

async function renderPage(template: PageTemplate, fixturesDir: string, defaultContent: DemoContent): Promise<string> {
  let fixtures: unknown = null;
  try {
    // Read per request (a few KB) so regenerated fixtures show up without a restart.
    fixtures = JSON.parse(await readFile(path.join(fixturesDir, 'sentences.json'), 'utf8'));
  } catch {
    // Missing fixtures: the page falls back to built-in names and reports media errors in __scribaDemo.
  }
  const boot = `window.__SCRIBA_DEMO_BOOT__ = ${scriptJson({ fixtures, mediaBase: '/media/', defaultContent, clockTile: CLOCK_TILE })};`;
  const page = template.script.replace(/<\/script/gi, '<\\/script');
  return template.html.replace('/*__SCRIBA_DEMO_BOOT__*/', () => boot).replace('/*__SCRIBA_DEMO_PAGE__*/', () => page);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

async function serveMedia(req: IncomingMessage, res: ServerResponse, fixturesDir: string, rawName: string): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    sendText(res, 400, 'bad media name\n');
    return;
  }
  const root = path.resolve(fixturesDir);
  const file = path.resolve(root, name);
  if (!SAFE_NAME.test(name) || path.dirname(file) !== root) {
    sendText(res, 403, 'forbidden\n');
    return;
  }
  let info;
  try {
    info = await stat(file);
  } catch {
    info = undefined;
  }
  if (!info?.isFile()) {
    sendText(res, 404, 'not found\n');
    return;
  }
  const size = info.size;
  const headers: Record<string, string> = {
    'Content-Type': CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': info.mtime.toUTCString(),
    'Cache-Control': 'no-cache',
  };
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    sendText(res, 416, 'range not satisfiable\n', { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  headers['Content-Length'] = String(length);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file, { start, end }), res);
  } catch {
    // The browser dropped the connection (it does so routinely while seeking); nothing to report.
    res.destroy();
  }
}

/** Starts the synthetic meeting server. Any path is a meeting (`/room`, `/tenant/room`); media under /media/. */
export async function startDemoMeeting(opts: DemoMeetingOptions = {}): Promise<DemoMeeting> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const host = opts.host ?? '127.0.0.1';
  const fixturesDir = path.resolve(opts.fixturesDir ?? resolveFixturesDir());
  const template = await loadPageTemplate();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    // Route on the raw path: URL parsing would resolve "/media/../x" before we could refuse it.
    const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (rawPath.startsWith('/media/')) {
      await serveMedia(req, res, fixturesDir, rawPath.slice('/media/'.length));
      return;
    }
    if (rawPath === '/media' || rawPath === '/favicon.ico' || rawPath === '/robots.txt') {
      sendText(res, 404, 'not found\n');
      return;
    }
    const html = await renderPage(template, fixturesDir, opts.defaultContent ?? 'flat');
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(html)),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port: opts.port ?? 0, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  let stopListening = (): void => undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      stopListening();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  }
  if (signal?.aborted) await close();
  else stopListening = onAbort(signal, () => void close());

  return { url: `http://${hostInUrl}:${port}`, port, fixturesDir, close };
}
