/**
 * Secret scrubbing for anything that reaches a log line. Key-based redaction catches structured fields;
 * text scrubbing catches secrets embedded in strings (URLs with ?jwt=, login in the URL hash, RTMP keys).
 */

export const REDACTED = '[redacted]';

/** Object keys whose values are always secret, matched case-insensitively, at any depth. */
const SECRET_KEY =
  /^(password|passwd|secret|token|jwt|authorization|cookie|streamkey|stream_key|streamid|stream_id|youtubestreamkey|rtmpstreamkey|apikey|api_key|credentials|privatekey|private_key|localstoragecontent|file_recording_metadata|app_data|appdata)$/i;

const TEXT_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // JWTs anywhere (three base64url parts, header starting with eyJ).
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Query or hash parameters that carry secrets.
  [/([?&#](?:jwt|token|password|key|secret|signature|X-Amz-Signature)=)[^&#\s"']*/gi, `$1${REDACTED}`],
  // The recorder's login travels in the meeting URL hash.
  [/(appData\.localStorageContent=)[^&\s"']*/g, `$1${REDACTED}`],
  // user:password@ in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:)[^@\s/"']+@/gi, `$1${REDACTED}@`],
  // RTMP(S): everything after the application (the key, any instance path before it, any query) is secret;
  // a target already written as `…/app/***` (src/sinks/stream-url.ts), then punctuation or the end, is left as it is.
  [/(\brtmps?:\/\/[^\s"'/]+\/[^\s"'/?#]+\/)(?!\*\*\*(?:[^A-Za-z0-9_~.%/+=-]|$))[^\s"']+/gi, `$1${REDACTED}`],
];

export function scrubText(text: string): string {
  let out = text;
  for (const [re, replacement] of TEXT_RULES) out = out.replace(re, replacement);
  return out;
}

/** Deep copy with secret keys replaced and every string scrubbed. Cycles and depth are bounded. */
export function scrubValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      type: value.name,
      message: scrubText(value.message),
      stack: value.stack ? scrubText(value.stack) : undefined,
      code: (value as { code?: unknown }).code,
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : scrubValue(v, depth + 1, seen);
  }
  return out;
}
