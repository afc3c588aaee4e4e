/**
 * Why a navigation failed, in words that carry no URL. Puppeteer's errors read
 * `net::ERR_NAME_NOT_RESOLVED at https://host/room?jwt=…#…appData.localStorageContent=…`: the recorder's URL
 * holds the meeting JWT and the recorder's XMPP login, so the URL part never goes into an error. Pure.
 */
const NET_ERROR = /\bnet::ERR_[A-Z0-9_]+/;

/** Chromium's network error code when there is one, else the first line with anything from " at <scheme>:" on cut off. */
export function navigationErrorDetail(message: string): string {
  const net = NET_ERROR.exec(message)?.[0];
  if (net) return net;
  const first = message.split('\n')[0] ?? '';
  // Cut any URL out: " at https://…", "navigating to http://…", or a bare URL.
  return (
    first
      .replace(/\s*\b(?:at|to)\s+[a-z][a-z0-9+.-]*:\/\/\S*/gi, '')
      .replace(/[a-z][a-z0-9+.-]*:\/\/\S*/gi, '<url>')
      .trim() || 'navigation failed'
  );
}
