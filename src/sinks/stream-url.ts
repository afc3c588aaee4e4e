/**
 * The stream URL holds the stream key (whoever has it can broadcast as the channel): everything we print
 * names the target as `scheme://host[:port]/app/***` instead. Pure.
 */

const REDACTED_KEY = '***';
/** Shorter keys are not replaced inside free text (a 3-letter "key" would garble ordinary words). */
const MIN_KEY_LENGTH_TO_SCRUB = 8;

interface SplitUrl {
  readonly public: string;
  readonly key: string;
}

function split(url: string): SplitUrl {
  // rtmp(s)://[user:pass@]host[:port]/app/<key…>: the app is the first path segment; the rest (instance,
  // key, query) is secret. new URL() would work too, but this must never throw on a bad value.
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/?#]+)(?:\/([^/?#]*))?([/?#].*)?$/i.exec(url.trim());
  if (m === null) return { public: REDACTED_KEY, key: url };
  const [, scheme, host, app, rest] = m;
  const base = `${scheme!.toLowerCase()}://${host}`;
  if (app === undefined || app === '') return { public: `${base}/${REDACTED_KEY}`, key: rest ?? '' };
  return { public: `${base}/${app}/${REDACTED_KEY}`, key: (rest ?? '').replace(/^\//, '') };
}

/** `rtmp://a.rtmp.youtube.com/live2/abcd-efgh` → `rtmp://a.rtmp.youtube.com/live2/***`. */
export function redactStreamUrl(url: string): string {
  return split(url).public;
}

/** A function that removes the URL (and, when long enough to be unambiguous, the bare key) from a text. */
export function streamUrlScrubber(url: string): (text: string) => string {
  const { public: redacted, key } = split(url);
  const secrets = [url.trim(), ...(key.length >= MIN_KEY_LENGTH_TO_SCRUB ? [key] : [])].filter((s) => s.length > 0);
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join(secret === key ? REDACTED_KEY : redacted);
    return out;
  };
}

/** Where viewers watch a YouTube broadcast (metadata `live_view_url`). */
export function youtubeLiveViewUrl(broadcastId: string | null): string | null {
  return broadcastId === null ? null : `https://youtube.com/watch?v=${encodeURIComponent(broadcastId)}`;
}
