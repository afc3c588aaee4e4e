/**
 * Pure classification of ffmpeg's stderr (after Jibri's OutputParser), tested on real ffmpeg 5.1 lines saved
 * under test/fixtures/ffmpeg/. Works with and without `-loglevel level+…`: with it every line carries its
 * level ("[x11grab @ 0x55…] [error] Cannot open display…") and that tag decides; without it known wordings
 * decide. Also the stall rule, as a function of `now` (after LiveKit Egress's evaluateLiveness).
 */

export interface FfmpegProgress {
  readonly kind: 'progress';
  /** Frames written to the (first) video output; 0 on audio-only outputs. */
  readonly frame: number;
  readonly fps: number;
  /** Bytes written so far / 1000 (ffmpeg's "kB"); 0 when ffmpeg prints N/A (e.g. the null muxer). */
  readonly sizeKb: number;
  /** Output position in seconds; 0 when ffmpeg prints N/A, may be slightly negative at the very start. */
  readonly timeSec: number;
  readonly bitrateKbps: number | null;
  readonly dup: number;
  readonly drop: number;
  /** Processing speed relative to real time (1 = real time); null when N/A. */
  readonly speed: number | null;
}

export type FfmpegLine =
  | FfmpegProgress
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'warning'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

type Severity = 'error' | 'warning' | 'other';

// `[x11grab @ 0x563ee3dd09c0] ` (ffmpeg prints the parent's context first when there is one).
const CONTEXT_PREFIX = /^\[([^\]@]+?) @ (?:0x)?[0-9a-fA-F]+\] /;
// `[error] `: the tag `-loglevel level+…` adds after the context.
const LEVEL_PREFIX = /^\[(quiet|panic|fatal|error|warning|info|verbose|debug|trace)\] /;

/** Without a level tag: wordings ffmpeg 5.1 uses for failures (open, I/O, network, container, options). */
const ERROR_PATTERNS: readonly RegExp[] = [
  /Connection refused|Connection timed out|Connection reset|No route to host|Network is unreachable|Broken pipe/,
  /Cannot open (display|connection)/,
  /moov atom not found/,
  /Invalid data found when processing input/,
  /No such file or directory|No such process|Permission denied|Input\/output error|No space left on device/,
  /Immediate exit requested/,
  /Conversion failed!/,
  /^Error |\bError (opening|writing|while|initializing|closing|submitting|during)\b/,
  /\bCould not (open|write|find|initialize)\b/,
  /Unknown (encoder|decoder)|Unrecognized option|Option not found|Invalid argument|Unable to find a suitable output format/,
  /Server returned [45]\d\d/,
  /Too many packets buffered for output stream/,
  /pa_\w+\(\) failed/,
];

/** Without a level tag: known ffmpeg 5.1 warnings. */
const WARNING_PATTERNS: readonly RegExp[] = [
  /Past duration .* too large/,
  /Thread message queue blocking/,
  /Queue input is backward in time/,
  /[Nn]on[- ]monoton/,
  /not enough frames to estimate rate/,
  /Guessed Channel Layout/,
  /deprecated pixel format/,
  /buffer underflow/,
  /^\*\*\* \d+ dup!|^\*\*\* dropping frame/,
];

/** Classifies one stderr line (no trailing newline). Pure; never throws. */
export function parseFfmpegLine(line: string): FfmpegLine {
  const { message, level } = stripPrefixes(line.trim());
  const progress = parseProgress(message);
  if (progress !== null) return progress;
  const severity = level === null ? guessSeverity(message) : severityOfLevel(level);
  return { kind: severity, message };
}

/** The line without its level tag and with context addresses dropped ("[x11grab] Cannot open …"). */
function stripPrefixes(line: string): { message: string; level: string | null } {
  let rest = line;
  const contexts: string[] = [];
  for (let m = CONTEXT_PREFIX.exec(rest); m !== null; m = CONTEXT_PREFIX.exec(rest)) {
    contexts.push(`[${m[1] ?? ''}]`);
    rest = rest.slice(m[0].length);
  }
  let level: string | null = null;
  const lm = LEVEL_PREFIX.exec(rest);
  if (lm !== null) {
    level = lm[1] ?? null;
    rest = rest.slice(lm[0].length);
  }
  const message = contexts.length === 0 ? rest : `${contexts.join(' ')} ${rest}`;
  return { message, level };
}

function severityOfLevel(level: string): Severity {
  switch (level) {
    case 'panic':
    case 'fatal':
    case 'error':
      return 'error';
    case 'warning':
      return 'warning';
    default:
      return 'other';
  }
}

function guessSeverity(message: string): Severity {
  if (ERROR_PATTERNS.some((p) => p.test(message))) return 'error';
  if (WARNING_PATTERNS.some((p) => p.test(message))) return 'warning';
  return 'other';
}

/**
 * ffmpeg 5.1's stats line: `frame=   90 fps= 30 q=28.0 size=     256kB time=00:00:03.00 bitrate= 699.1kbits/s
 * dup=0 drop=1 speed=1.00x`; the last one says `Lsize=`; audio-only outputs have no frame/fps/q; dup/drop only
 * appear once non-zero; any value can be N/A.
 */
function parseProgress(message: string): FfmpegProgress | null {
  if (!/^(frame|L?size)=/.test(message) || !/\btime=/.test(message) || !/\bbitrate=/.test(message)) return null;
  const fields = new Map<string, string>();
  for (const m of message.matchAll(/([A-Za-z]+)=\s*(\S+)/g)) {
    const key = m[1];
    const value = m[2];
    // Several video outputs print several q= values; the first of each key is the first output's.
    if (key !== undefined && value !== undefined && !fields.has(key)) fields.set(key, value);
  }
  return {
    kind: 'progress',
    frame: intOr(fields.get('frame'), 0),
    fps: numberOr(fields.get('fps'), 0),
    sizeKb: sizeKb(fields.get('size') ?? fields.get('Lsize')),
    timeSec: timeSec(fields.get('time')),
    bitrateKbps: bitrateKbps(fields.get('bitrate')),
    dup: intOr(fields.get('dup'), 0),
    drop: intOr(fields.get('drop'), 0),
    speed: speed(fields.get('speed')),
  };
}

function numberOr(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function intOr(value: string | undefined, fallback: number): number {
  const n = numberOr(value, fallback);
  return Number.isInteger(n) ? n : fallback;
}

function sizeKb(value: string | undefined): number {
  const m = value === undefined ? null : /^(\d+(?:\.\d+)?)(kB|KiB|MiB|MB)$/.exec(value);
  if (m === null) return 0; // N/A
  const n = Number(m[1]);
  return m[2] === 'MiB' || m[2] === 'MB' ? n * 1000 : n;
}

/** `00:00:03.00`, `-00:00:00.02`, `N/A`. */
function timeSec(value: string | undefined): number {
  const m = value === undefined ? null : /^(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value);
  if (m === null) return 0;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return m[1] === '-' ? -seconds : seconds;
}

/** `1117.2kbits/s`, `N/A`. */
function bitrateKbps(value: string | undefined): number | null {
  const m = value === undefined ? null : /^(\d+(?:\.\d+)?)kbits\/s$/.exec(value);
  return m === null ? null : Number(m[1]);
}

/** `1.00x`, `0x`, `N/A`. */
function speed(value: string | undefined): number | null {
  const m = value === undefined ? null : /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)x$/.exec(value);
  return m === null ? null : Number(m[1]);
}

export interface LineSplitter {
  /** Feeds a chunk; returns the complete lines it finished (empty lines dropped). */
  push(chunk: string): string[];
  /** Returns what is left as a last line (call when the stream ends). */
  end(): string[];
}

/**
 * ffmpeg ends its stats lines with `\r` (it rewrites one terminal line) and everything else with `\n`, and a
 * pipe cuts the stream anywhere: this turns chunks into lines on `\r`, `\n` and `\r\n`. A line that never ends
 * is cut at maxLineLength so a misbehaving child cannot grow our memory.
 */
export function createLineSplitter(maxLineLength = 64 * 1024): LineSplitter {
  let pending = '';
  return {
    push(chunk: string): string[] {
      const parts = (pending + chunk).split(/\r\n|\r|\n/);
      pending = parts.pop() ?? '';
      // A chunk that ends in '\r' may be followed by '\n': the split then yields an empty line, dropped below.
      const lines = parts.filter((l) => l.length > 0);
      while (pending.length > maxLineLength) {
        lines.push(pending.slice(0, maxLineLength));
        pending = pending.slice(maxLineLength);
      }
      return lines;
    },
    end(): string[] {
      const last = pending;
      pending = '';
      return last.length > 0 ? [last] : [];
    },
  };
}

/** When the frame counter last went up, and to what. */
export interface LivenessMark {
  readonly atMs: number;
  readonly frame: number;
}

export type Liveness = 'starting' | 'healthy' | 'stalled';

/**
 * Pure stall rule. `last` is the last time the output frame counter was seen to ADVANCE (see
 * advanceLivenessMark), not merely the last progress line: ffmpeg keeps printing progress lines with the same
 * frame count when its input stops delivering.
 * - no frame yet (null, or frame 0): 'starting' until stallTimeoutMs after startedAtMs, then 'stalled';
 * - otherwise 'healthy' while the counter advanced within stallTimeoutMs, then 'stalled'.
 * Boundaries: exactly stallTimeoutMs still counts as in time.
 */
export function evaluateLiveness(last: LivenessMark | null, startedAtMs: number, nowMs: number, stallTimeoutMs: number): Liveness {
  if (last === null || last.frame <= 0) {
    return nowMs - startedAtMs <= stallTimeoutMs ? 'starting' : 'stalled';
  }
  return nowMs - last.atMs <= stallTimeoutMs ? 'healthy' : 'stalled';
}

/** The next mark after seeing `frame` at `nowMs`: moves only when the frame counter went up. Pure. */
export function advanceLivenessMark(last: LivenessMark | null, frame: number, nowMs: number): LivenessMark | null {
  if (frame > (last?.frame ?? 0)) return { atMs: nowMs, frame };
  return last;
}
