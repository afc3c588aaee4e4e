import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWebhookOutbox, type NewOutboxRow, type WebhookOutbox } from '../../../src/webhooks/webhook-outbox.ts';

const LEASE = 1_000;

describe('webhook outbox', () => {
  const dirs: string[] = [];
  const handles: WebhookOutbox[] = [];
  afterEach(() => {
    for (const h of handles.splice(0)) h.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Two handles on one file behave as two processes do: separate connections, SQLite's file locks between them. */
  function setup(handleCount = 1) {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-outbox-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'webhooks.sqlite');
    const clock = { now: 1_000_000 };
    const open = () => {
      const h = openWebhookOutbox({ path, claimLeaseMs: LEASE, now: () => clock.now });
      handles.push(h);
      return h;
    };
    return { path, clock, open, outboxes: Array.from({ length: handleCount }, open) };
  }

  const row = (key: string, url = 'https://a.example/hook'): NewOutboxRow => ({
    idempotencyKey: key,
    url,
    eventType: 'RECORDING_STARTED',
    body: JSON.stringify({ idempotencyKey: key, data: { conference: 'Zürich 🎥' } }),
  });

  it('creates its directory and an owner-only file', () => {
    const { path } = setup();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('stores one row per (event, URL), once, with the exact body', () => {
    const {
      outboxes: [o],
    } = setup();
    expect(o!.add([row('k1'), row('k1', 'https://b.example/hook')])).toBe(2);
    expect(o!.add([row('k1')])).toBe(0);
    const rows = o!.list();
    expect(rows.map((r) => [r.idempotencyKey, r.url, r.status, r.attempts])).toEqual([
      ['k1', 'https://a.example/hook', 'pending', 0],
      ['k1', 'https://b.example/hook', 'pending', 0],
    ]);
    expect(rows[0]!.body).toBe(row('k1').body);
    expect(rows[0]!.firstQueuedMs).toBe(1_000_000);
    expect(o!.counts()).toEqual({ pending: 2, delivered: 0, abandoned: 0 });
  });

  it('claims due rows oldest first, counting an attempt, up to the limit', () => {
    const {
      outboxes: [o],
      clock,
    } = setup();
    o!.add([row('k1')]);
    clock.now += 1;
    o!.add([row('k2')]);
    clock.now += 1;
    o!.add([row('k3')]);
    const claimed = o!.claimDue(2);
    expect(claimed.map((c) => [c.idempotencyKey, c.attempts])).toEqual([
      ['k1', 1],
      ['k2', 1],
    ]);
    expect(new Set(claimed.map((c) => c.token)).size).toBe(2);
    expect(o!.claimDue(5).map((c) => c.idempotencyKey)).toEqual(['k3']);
    expect(o!.claimDue(5)).toEqual([]);
  });

  it('two handles (processes) never hold the same row; a lapsed lease is taken over', () => {
    const {
      outboxes: [a, b],
      clock,
    } = setup(2);
    a!.add([row('k1')]);
    const [mine] = a!.claimDue(10);
    expect(mine).toBeDefined();
    expect(b!.claimDue(10)).toEqual([]);
    clock.now += LEASE - 1;
    expect(b!.claimDue(10)).toEqual([]);
    // A's process died mid-attempt: once the lease lapses, B takes the row (a second attempt).
    clock.now += 1;
    const [theirs] = b!.claimDue(10);
    expect(theirs).toMatchObject({ idempotencyKey: 'k1', attempts: 2 });
    // A's late verdict is refused: only the current token settles the row.
    expect(a!.markDelivered(mine!.id, mine!.token)).toBe(false);
    expect(b!.markDelivered(theirs!.id, theirs!.token)).toBe(true);
    expect(a!.list()[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('two handles claiming in turn split a batch without overlap', () => {
    const {
      outboxes: [a, b],
    } = setup(2);
    a!.add(Array.from({ length: 50 }, (_, i) => row(`k${i}`)));
    const seen: string[] = [];
    for (;;) {
      const got = [...a!.claimDue(3), ...b!.claimDue(4)];
      if (got.length === 0) break;
      seen.push(...got.map((g) => g.idempotencyKey));
    }
    expect(seen.length).toBe(50);
    expect(new Set(seen).size).toBe(50);
  });

  it('a retry is due at its time, keeps its body and key, and counts attempts', () => {
    const {
      outboxes: [o],
      clock,
    } = setup();
    o!.add([row('k1')]);
    const [first] = o!.claimDue(1);
    expect(o!.markRetry(first!.id, first!.token, clock.now + 500, 'HTTP 503')).toBe(true);
    expect(o!.nextDueMs()).toBe(clock.now + 500);
    expect(o!.claimDue(1)).toEqual([]);
    clock.now += 500;
    const [second] = o!.claimDue(1);
    expect(second).toMatchObject({ idempotencyKey: 'k1', body: row('k1').body, attempts: 2, lastError: 'HTTP 503' });
    expect(o!.markAbandoned(second!.id, second!.token, 'gave up')).toBe(true);
    expect(o!.list()[0]).toMatchObject({ status: 'abandoned', lastError: 'gave up' });
    expect(o!.nextDueMs()).toBeNull();
    expect(o!.counts()).toEqual({ pending: 0, delivered: 0, abandoned: 1 });
  });

  it('a settled row cannot be settled again', () => {
    const {
      outboxes: [o],
    } = setup();
    o!.add([row('k1')]);
    const [c] = o!.claimDue(1);
    expect(o!.markDelivered(c!.id, c!.token)).toBe(true);
    expect(o!.markRetry(c!.id, c!.token, 0, 'x')).toBe(false);
    expect(o!.markAbandoned(c!.id, c!.token, 'x')).toBe(false);
  });

  it("nextDueMs waits for another handle's lease; release makes a row due again at once", () => {
    const {
      outboxes: [a, b],
      clock,
    } = setup(2);
    a!.add([row('k1')]);
    const [c] = a!.claimDue(1);
    expect(b!.nextDueMs()).toBe(clock.now + LEASE);
    expect(a!.release(c!.id, c!.token)).toBe(true);
    expect(b!.nextDueMs()).toBe(clock.now);
    expect(b!.claimDue(1)).toHaveLength(1);
  });

  it('survives reopening: pending rows are still there', () => {
    const {
      outboxes: [a],
      open,
    } = setup();
    a!.add([row('k1'), row('k2')]);
    a!.close();
    expect(
      open()
        .list()
        .map((r) => r.idempotencyKey),
    ).toEqual(['k1', 'k2']);
  });

  it('purges settled rows older than the cut-off only', () => {
    const {
      outboxes: [o],
      clock,
    } = setup();
    o!.add([row('k1'), row('k2'), row('k3')]);
    const [c1, c2] = o!.claimDue(2);
    o!.markDelivered(c1!.id, c1!.token);
    o!.markAbandoned(c2!.id, c2!.token, 'x');
    clock.now += 10_000;
    expect(o!.purgeSettled(clock.now - 20_000)).toBe(0);
    expect(o!.purgeSettled(clock.now)).toBe(2);
    expect(o!.list().map((r) => r.idempotencyKey)).toEqual(['k3']);
  });

  it('close is idempotent and later reads are empty', () => {
    const {
      outboxes: [o],
    } = setup();
    o!.close();
    o!.close();
    expect(o!.counts()).toEqual({ pending: 0, delivered: 0, abandoned: 0 });
    expect(() => o!.claimDue(1)).toThrow(/closed/);
  });
});
