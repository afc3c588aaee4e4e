/**
 * Webhooks as a service: `publish` stores an event durably (one outbox row per subscriber) and returns;
 * a background sender started with `start` delivers due rows, a few at a time, and retries with back-off
 * until each is acknowledged (any 2xx) or its give-up horizon passes. Delivery is at least once: receivers
 * deduplicate on `idempotencyKey`, which (like the body) is the same on every attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { ScribaError } from '../domain/errors.ts';
import { onAbort } from '../lib/abort.ts';
import { Sleepers } from '../lib/sleepers.ts';
import type { Logger } from '../log/logger.ts';
import { retryDecision, type RetryPolicy } from './retry-decision.ts';
import { buildEnvelope, type WebhookEventInput } from './webhook-event.ts';
import { deliverWebhook, safeUrl } from './webhook-delivery.ts';
import { createWebhookMetrics } from './webhook-metrics.ts';
import { isBusyError, openWebhookOutbox, type ClaimedOutboxRow } from './webhook-outbox.ts';

/** Mirrors config.webhooks, so `config.webhooks` can be passed as is; the optional tail is for tests and tuning. */
export interface WebhookServiceOptions {
  /** Subscribers: every event goes to each. */
  readonly urls: readonly string[];
  /** `whsec_…`; empty: unsigned. */
  readonly secret: string;
  /** appId of events whose input names none. */
  readonly appId: string;
  readonly customerId: string;
  readonly outboxPath: string;
  readonly allowPrivateAddresses: boolean;
  /** Per attempt. */
  readonly timeoutMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly giveUpAfterSec: number;
  /** Deliveries in flight at once per process (default 4). */
  readonly concurrency?: number;
  /** How often the outbox is re-read for rows other processes added or abandoned (default 1000 ms). */
  readonly pollMs?: number;
  /** How long delivered and abandoned rows are kept for inspection (default 7 days). */
  readonly retainSettledMs?: number;
}

export interface WebhookServiceDeps {
  readonly logger: Logger;
  /** Where scriba_webhook_deliveries_total and scriba_webhook_outbox_pending are registered. */
  readonly registry?: Registry;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly newId?: () => string;
}

export interface WebhookService {
  /** Durably stores the event for every subscriber (options.urls, plus extraUrl) and wakes the sender. */
  publish(input: WebhookEventInput, extraUrl?: string | null): Promise<void>;
  /** Starts the background sender (once); aborting `signal` stops it and cuts in-flight attempts short. */
  start(signal: AbortSignal): void;
  /** Resolves once nothing is in flight and nothing is due now (later retries do not count). */
  flush(signal?: AbortSignal): Promise<void>;
  /** Stops the sender and closes the outbox; idempotent (returns the same promise). */
  close(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_POLL_MS = 1_000;
const DEFAULT_RETAIN_SETTLED_MS = 7 * 24 * 3_600_000;
const PURGE_EVERY_MS = 3_600_000;
/** A claim outlasts an attempt (aborted at timeoutMs) by this much, so it is never taken over mid-send. */
const CLAIM_MARGIN_MS = 10_000;
/** Floor of the sender's sleep, so a row that is due but not claimable (a race) cannot make it spin. */
const MIN_SLEEP_MS = 10;

function deliverable(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function sessionIdOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { sessionId?: unknown }).sessionId;
  } catch {
    return undefined;
  }
}

export function createWebhookService(options: WebhookServiceOptions, deps: WebhookServiceDeps): WebhookService {
  const log = deps.logger.child({ component: 'webhooks' });
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const newId = deps.newId ?? randomUUID;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const pollMs = Math.max(MIN_SLEEP_MS, options.pollMs ?? DEFAULT_POLL_MS);
  const retainSettledMs = options.retainSettledMs ?? DEFAULT_RETAIN_SETTLED_MS;
  const policy: RetryPolicy = {
    initialBackoffMs: options.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs,
    giveUpAfterMs: options.giveUpAfterSec * 1000,
  };

  const outbox = openWebhookOutbox({ path: options.outboxPath, claimLeaseMs: options.timeoutMs + CLAIM_MARGIN_MS, now });
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let loop: Promise<void> | null = null;
  let closing: Promise<void> | null = null;

  const metrics = createWebhookMetrics(deps.registry, () => (closing === null ? outbox.counts().pending : null));

  // Any wake (publish, a finished attempt, stop) ends the sender's sleep early.
  const sleepers = new Sleepers();
  const wake = (): void => sleepers.wakeAll();
  // The sender alone never keeps the process alive; close() is what ends it.
  const sleep = (ms: number, signal: AbortSignal): Promise<void> => sleepers.sleep(ms, signal, { unref: true });

  const settle = (row: ClaimedOutboxRow, outcome: () => boolean): void => {
    try {
      if (!outcome())
        log.warn(
          { event: row.eventType, idempotencyKey: row.idempotencyKey },
          'webhook claim was taken over before the attempt was recorded',
        );
    } catch (err) {
      // The claim lapses and the row is sent again after its lease: a duplicate, never a loss.
      log.error({ err, event: row.eventType, idempotencyKey: row.idempotencyKey }, 'could not record a webhook attempt in the outbox');
    }
  };

  const attempt = async (row: ClaimedOutboxRow): Promise<void> => {
    const result = await deliverWebhook(
      {
        url: row.url,
        body: row.body,
        secret: options.secret,
        timeoutMs: options.timeoutMs,
        allowPrivateAddresses: options.allowPrivateAddresses,
        nowSec: Math.floor(now() / 1000),
      },
      { signal: stop.signal },
    );
    const fields = {
      event: row.eventType,
      idempotencyKey: row.idempotencyKey,
      sessionId: sessionIdOf(row.body),
      url: safeUrl(row.url),
      attempt: row.attempts,
    };
    if (result.ok) {
      settle(row, () => outbox.markDelivered(row.id, row.token));
      metrics.attempt(row.eventType, 'delivered');
      log.info({ ...fields, status: result.status }, 'webhook delivered');
      return;
    }
    if (stop.signal.aborted) {
      // Stopping: not the receiver's failure; the row is due again for the next sender.
      settle(row, () => outbox.release(row.id, row.token));
      return;
    }
    const decision = retryDecision(
      { attempts: row.attempts, firstQueuedMs: row.firstQueuedMs, nowMs: now(), retryable: result.retryable },
      policy,
      random,
    );
    const failure = { ...fields, ...(result.status === undefined ? {} : { status: result.status }), error: result.error };
    if (decision.kind === 'retry') {
      settle(row, () => outbox.markRetry(row.id, row.token, decision.nextAttemptMs, result.error));
      metrics.attempt(row.eventType, 'retry');
      log.warn({ ...failure, retryInMs: Math.max(0, decision.nextAttemptMs - now()) }, 'webhook attempt failed; will retry');
    } else {
      settle(row, () => outbox.markAbandoned(row.id, row.token, result.error));
      metrics.attempt(row.eventType, 'abandoned');
      const why =
        decision.why === 'permanent' ? 'no later attempt can succeed' : `still failing ${options.giveUpAfterSec} s after it was queued`;
      log.error({ ...failure, ageMs: now() - row.firstQueuedMs }, `webhook abandoned: ${why}`);
    }
  };

  /** Claims what fits in the free slots and starts those attempts. */
  const pump = (): void => {
    if (stop.signal.aborted) return;
    const free = concurrency - inFlight.size;
    if (free <= 0) return;
    let rows: ClaimedOutboxRow[];
    try {
      rows = outbox.claimDue(free);
    } catch (err) {
      if (isBusyError(err)) log.debug('webhook outbox busy; will look again');
      else log.error({ err }, 'could not claim webhook deliveries');
      return;
    }
    for (const row of rows) {
      const p: Promise<void> = attempt(row)
        .catch((err: unknown) => log.error({ err, event: row.eventType }, 'webhook attempt crashed'))
        .finally(() => {
          inFlight.delete(p);
          wake();
        });
      inFlight.add(p);
    }
  };

  const nextDue = (): number | null => {
    try {
      return outbox.nextDueMs();
    } catch (err) {
      if (!isBusyError(err)) log.error({ err }, 'could not read the webhook outbox');
      return null;
    }
  };

  const sleepMs = (): number => {
    if (inFlight.size >= concurrency) return pollMs; // a finished attempt wakes the sender
    const due = nextDue();
    if (due === null) return pollMs;
    return Math.min(pollMs, Math.max(MIN_SLEEP_MS, due - now()));
  };

  const run = async (): Promise<void> => {
    let lastPurgeMs = -Infinity;
    while (!stop.signal.aborted) {
      pump();
      if (now() - lastPurgeMs >= PURGE_EVERY_MS) {
        lastPurgeMs = now();
        try {
          const purged = outbox.purgeSettled(now() - retainSettledMs);
          if (purged > 0) log.debug({ purged }, 'purged settled webhook rows');
        } catch (err) {
          if (!isBusyError(err)) log.warn({ err }, 'could not purge settled webhook rows');
        }
      }
      await sleep(sleepMs(), stop.signal);
    }
  };

  return {
    async publish(input, extraUrl) {
      if (closing !== null) throw new ScribaError('internal', 'the webhook service is closed', { scope: 'system' });
      const urls = new Set<string>();
      for (const url of [...options.urls, ...(extraUrl === undefined || extraUrl === null ? [] : [extraUrl])]) {
        // Skipped rather than thrown: one bad subscriber must not cost the others their event.
        if (deliverable(url)) urls.add(url);
        else log.error({ event: input.eventType, url: safeUrl(url) }, 'webhook URL skipped: not an http(s) URL');
      }
      if (urls.size === 0) return;
      const envelope = buildEnvelope(input, { newId, now, defaultAppId: options.appId, customerId: options.customerId });
      const body = JSON.stringify(envelope);
      outbox.add([...urls].map((url) => ({ idempotencyKey: envelope.idempotencyKey, url, eventType: envelope.eventType, body })));
      log.debug(
        { event: envelope.eventType, idempotencyKey: envelope.idempotencyKey, sessionId: envelope.sessionId, subscribers: urls.size },
        'webhook queued',
      );
      wake();
    },

    start(signal) {
      if (loop !== null || closing !== null || signal.aborted) return;
      onAbort(signal, () => {
        stop.abort();
        wake();
      });
      loop = run().catch((err: unknown) => log.error({ err }, 'webhook sender stopped on an error'));
    },

    async flush(signal) {
      for (;;) {
        if (closing !== null || stop.signal.aborted || signal?.aborted === true) return;
        pump();
        const due = nextDue();
        if (inFlight.size === 0 && (due === null || due > now())) return;
        await sleep(inFlight.size > 0 ? pollMs : MIN_SLEEP_MS, signal ?? stop.signal);
      }
    },

    close() {
      closing ??= (async () => {
        stop.abort();
        wake();
        await loop;
        await Promise.allSettled([...inFlight]);
        outbox.close();
      })();
      return closing;
    },
  };
}
