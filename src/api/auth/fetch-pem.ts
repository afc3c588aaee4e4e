/**
 * GET of one small text document over http(s): the side effect behind the ASAP key source. Redirects are
 * not followed (a key server answers 200 or nothing), the body is size-limited, and the caller's AbortSignal
 * (which carries the time limit) cancels the request.
 */
import http from 'node:http';
import https from 'node:https';

/** A PEM RSA-4096 public key is about 800 bytes; anything much larger is not a key. */
export const MAX_PEM_BYTES = 16_384;

/** The server answered, but not with 200 (404: no key is published under that name). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  readonly status: number;

  constructor(status: number) {
    super(`the key server answered HTTP ${status}`);
    this.status = status;
  }
}

export function fetchPem(url: string, signal: AbortSignal, maxBytes = MAX_PEM_BYTES): Promise<string> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    };
    const req = client.get(url, { signal, headers: { accept: 'application/x-pem-file, text/plain' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(new HttpStatusError(res.statusCode ?? 0));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        fail(new Error(`the key server sent ${declared} bytes, more than a public key can be`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail(new Error(`the key server sent more than ${maxBytes} bytes, more than a public key can be`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('the key server closed the connection mid-answer'));
      });
    });
    req.on('error', fail);
  });
}
