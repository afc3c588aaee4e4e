/** Prometheus metrics of webhook delivery (prom-client): attempts by outcome, and rows still pending. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type DeliveryOutcome = 'delivered' | 'retry' | 'abandoned';

export interface WebhookMetrics {
  attempt(eventType: string, outcome: DeliveryOutcome): void;
}

const DELIVERIES = 'scriba_webhook_deliveries_total';
const PENDING = 'scriba_webhook_outbox_pending';

/**
 * Registers the metrics on `registry` (none: a no-op). A registry that already has them (a service
 * re-created in one process) keeps its counter; the gauge is replaced so it reads the newest outbox.
 */
export function createWebhookMetrics(registry: Registry | undefined, pending: () => number | null): WebhookMetrics {
  if (registry === undefined) return { attempt() {} };
  const existing = registry.getSingleMetric(DELIVERIES);
  const deliveries =
    existing instanceof Counter
      ? (existing as Counter<'event' | 'outcome'>)
      : new Counter({
          name: DELIVERIES,
          help: 'Webhook delivery attempts by event type and outcome (delivered, retry, abandoned)',
          labelNames: ['event', 'outcome'],
          registers: [registry],
        });
  if (registry.getSingleMetric(PENDING) !== undefined) registry.removeSingleMetric(PENDING);
  new Gauge({
    name: PENDING,
    help: 'Webhook deliveries waiting in the outbox (not yet delivered or abandoned), all processes sharing it',
    registers: [registry],
    collect() {
      const n = pending();
      if (n !== null) this.set(n);
    },
  });
  return {
    attempt(eventType, outcome) {
      deliveries.inc({ event: eventType, outcome });
    },
  };
}
