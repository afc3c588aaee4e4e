/**
 * Pure: may a request's own webhook URL be used? Only when it starts with one of the operator's allowed
 * prefixes (api.allowedCallbackUrls), compared after WHATWG URL normalization (case of scheme and host,
 * default ports, dot segments, percent-encoded dots), so spelling tricks cannot slip past a prefix.
 */

function normalized(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Credentials in a callback URL would be logged, stored and sent on: never accepted.
  if (url.username !== '' || url.password !== '') return null;
  return url;
}

/**
 * True when `url` is an http(s) URL without userinfo that equals an allowed prefix or continues it at a
 * boundary: `https://h/hooks` allows `https://h/hooks`, `…/hooks/x` and `…/hooks?x`, not `…/hooks-evil`;
 * the host always matches whole (`https://h` is normalized to `https://h/`).
 */
export function callbackUrlAllowed(url: string, allowedPrefixes: readonly string[]): boolean {
  const candidate = normalized(url);
  if (candidate === null) return false;
  const href = candidate.href;
  for (const prefixText of allowedPrefixes) {
    const prefix = normalized(prefixText);
    if (prefix === null) continue;
    const p = prefix.href;
    if (!href.startsWith(p)) continue;
    if (href.length === p.length || p.endsWith('/') || p.endsWith('?') || '/?#'.includes(href[p.length]!)) return true;
  }
  return false;
}
