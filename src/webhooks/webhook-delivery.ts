/**
 * One delivery attempt: POST the stored body to one URL and report what happened. node:http(s) rather than
 * fetch, because only they take a socket `lookup` (the SSRF guard) and never follow redirects on their own.
 * Never throws: every outcome is a typed result (the caller decides retry or give-up).
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { onAbort } from '../lib/abort.ts';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.ts';
import { BlockedAddressError, blockedLiteralHost, guardedLookup } from './ssrf-guard.ts';

export const USER_AGENT = 'scriba';

export interface DeliveryRequest {
  readonly url: string;
  /** The exact JSON bytes stored in the outbox; the same on every attempt. */
  readonly body: string;
  /** Empty: unsigned. */
  readonly secret: string;
  readonly timeoutMs: number;
  readonly allowPrivateAddresses: boolean;
  /** Signing time (unix seconds): each attempt is signed afresh, so receivers' tolerance holds on retries. */
  readonly nowSec: number;
}

export type DeliveryResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly retryable: boolean; readonly error: string; readonly status?: number };

export interface DeliveryOptions {
  /** Aborts the attempt (service stopping); the result is then `aborted`. */
  readonly signal: AbortSignal;
  /** Replaces the guarded DNS lookup (tests). */
  readonly lookup?: LookupFunction;
}

/** Pure: the request headers of one attempt. */
export function webhookHeaders(body: string, secret: string, nowSec: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'User-Agent': USER_AGENT,
  };
  if (secret !== '') headers[SIGNATURE_HEADER] = signWebhook(secret, body, nowSec);
  return headers;
}

/** The URL as it may appear in logs and errors: no userinfo, query or fragment (they can carry tokens). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function errorText(err: unknown): string {
  if (err instanceof BlockedAddressError) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export function deliverWebhook(req: DeliveryRequest, options: DeliveryOptions): Promise<DeliveryResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ ok: false, retryable: false, error: 'invalid URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve({ ok: false, retryable: false, error: `unsupported scheme ${url.protocol}` });
  }
  if (!req.allowPrivateAddresses) {
    // A literal address never changes: no later attempt can succeed, so this one is permanent.
    const blocked = blockedLiteralHost(url.hostname);
    if (blocked !== null) return Promise.resolve({ ok: false, retryable: false, error: blocked.message });
  }
  if (options.signal.aborted) return Promise.resolve({ ok: false, retryable: true, error: 'aborted' });

  // One controller per attempt, fed by the timeout and by the caller's stop; both are detached when the request
  // closes, so nothing piles up on the caller's long-lived signal. The timer also bounds a slow response body.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const stopListening = onAbort(options.signal, () => controller.abort());
  const cleanup = (): void => {
    clearTimeout(timer);
    stopListening();
  };
  const lookup = options.lookup ?? (req.allowPrivateAddresses ? undefined : guardedLookup());
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (result: DeliveryResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const failure = (err: unknown): DeliveryResult => {
      if (options.signal.aborted) return { ok: false, retryable: true, error: 'aborted' };
      if (timedOut) return { ok: false, retryable: true, error: `timed out after ${req.timeoutMs} ms` };
      return { ok: false, retryable: true, error: errorText(err) };
    };
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      // The body is not needed; drain it so the socket closes, and ignore late errors on it.
      res.on('error', () => {});
      res.resume();
      if (status >= 200 && status < 300) finish({ ok: true, status });
      else if (status >= 300 && status < 400)
        finish({ ok: false, retryable: true, status, error: `HTTP ${status} (redirects are not followed)` });
      else finish({ ok: false, retryable: true, status, error: `HTTP ${status}` });
    };
    try {
      const request = send(
        url,
        {
          method: 'POST',
          headers: webhookHeaders(req.body, req.secret, req.nowSec),
          // No pooled sockets: each attempt connects (and is checked) afresh; webhook traffic is light.
          agent: false,
          signal: controller.signal,
          ...(lookup === undefined ? {} : { lookup }),
        },
        onResponse,
      );
      request.on('error', (err) => finish(failure(err)));
      request.on('close', cleanup);
      request.end(req.body);
    } catch (err) {
      cleanup();
      finish(failure(err));
    }
  });
}
