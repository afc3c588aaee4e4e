/** Content types and download headers for stored artifacts (pure). */
import { keyBaseName } from './object-key.ts';

const BY_EXTENSION: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  webm: 'video/webm',
  wav: 'audio/wav',
  json: 'application/json',
  vtt: 'text/vtt; charset=utf-8',
  srt: 'application/x-subrip',
  txt: 'text/plain; charset=utf-8',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function contentTypeFor(key: string): string {
  const name = keyBaseName(key);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

/** RFC 5987 value: UTF-8, percent-encoded, with the characters encodeURIComponent leaves but 5987 forbids. */
function ext5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266), so opening a link downloads
 * the file under its own name whatever the room's script.
 */
export function attachmentDisposition(key: string): string {
  const name = keyBaseName(key);
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${ext5987(name)}`;
}
