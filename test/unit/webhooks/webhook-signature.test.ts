import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, signWebhook, verifyWebhookSignature } from '../../../src/webhooks/webhook-signature.ts';

/** The JaaS documentation's worked example (test/fixtures/webhooks/jaas-signature-vector.json). */
const vector = JSON.parse(readFileSync(new URL('../../fixtures/webhooks/jaas-signature-vector.json', import.meta.url), 'utf8')) as {
  readonly secret: string;
  readonly timestamp: string;
  readonly rawBody: string;
  readonly header: string;
  readonly expectedSignature: string;
};
const t = Number(vector.timestamp);

describe('signWebhook', () => {
  it('reproduces the JaaS worked example exactly', () => {
    expect(signWebhook(vector.secret, vector.rawBody, t)).toBe(vector.header);
    expect(vector.header).toBe(`t=${vector.timestamp},v1=${vector.expectedSignature}`);
  });

  it('signs bytes and strings alike, and floors fractional seconds', () => {
    expect(signWebhook(vector.secret, Buffer.from(vector.rawBody, 'utf8'), t + 0.9)).toBe(vector.header);
  });

  it('keys the HMAC with the whole secret, whsec_ prefix included', () => {
    const withoutPrefix = createHmac('sha256', vector.secret.slice('whsec_'.length)).update(`${t}.${vector.rawBody}`).digest('base64');
    expect(withoutPrefix).not.toBe(vector.expectedSignature);
  });
});

describe('verifyWebhookSignature', () => {
  const base = { header: vector.header, rawBody: vector.rawBody, secrets: [vector.secret], nowSec: t + 2 };

  it('accepts the JaaS worked example', () => {
    expect(verifyWebhookSignature(base)).toEqual({ ok: true, timestamp: t });
  });

  it('rejects a tampered body', () => {
    const tampered = vector.rawBody.replace('Test User', 'Test Usr');
    expect(verifyWebhookSignature({ ...base, rawBody: tampered })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a tampered timestamp (the timestamp is signed)', () => {
    const header = vector.header.replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhookSignature({ ...base, header })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects another secret', () => {
    expect(verifyWebhookSignature({ ...base, secrets: ['whsec_other'] })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it.each([
    [t + 300, true],
    [t + 301, false],
    [t - 300, true],
    [t - 301, false],
  ])('5-minute tolerance both ways: now %s → %s', (nowSec, ok) => {
    expect(verifyWebhookSignature({ ...base, nowSec }).ok).toBe(ok);
    if (!ok) expect(verifyWebhookSignature({ ...base, nowSec })).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('takes a custom tolerance', () => {
    expect(verifyWebhookSignature({ ...base, nowSec: t + 20, toleranceSec: 10 }).ok).toBe(false);
    expect(verifyWebhookSignature({ ...base, nowSec: t + 20, toleranceSec: 30 }).ok).toBe(true);
  });

  it('accepts any of several v1 entries (sender rotating its secret)', () => {
    const newSig = signWebhook('whsec_new', vector.rawBody, t).split(',v1=')[1]!;
    const header = `t=${t},v1=${newSig},v1=${vector.expectedSignature}`;
    expect(verifyWebhookSignature({ ...base, header, secrets: [vector.secret] }).ok).toBe(true);
    expect(verifyWebhookSignature({ ...base, header, secrets: ['whsec_new'] }).ok).toBe(true);
    expect(verifyWebhookSignature({ ...base, header, secrets: ['whsec_third'] }).ok).toBe(false);
  });

  it('accepts any of several secrets (receiver rotating its secret)', () => {
    expect(verifyWebhookSignature({ ...base, secrets: ['whsec_next', vector.secret] }).ok).toBe(true);
  });

  it('ignores other schemes and whitespace', () => {
    const header = `t=${t}, v0=bm90IGEgc2lnbmF0dXJl, v1=${vector.expectedSignature}, v2=zzz`;
    expect(verifyWebhookSignature({ ...base, header }).ok).toBe(true);
  });

  it('a v0-only header has no usable signature', () => {
    expect(verifyWebhookSignature({ ...base, header: `t=${t},v0=${vector.expectedSignature}` })).toEqual({
      ok: false,
      reason: 'no_v1_signature',
    });
  });

  it.each([
    [undefined, 'missing_header'],
    [null, 'missing_header'],
    ['', 'missing_header'],
    ['v1=abc', 'malformed_header'],
    ['t=abc,v1=abc', 'malformed_header'],
    ['garbage', 'malformed_header'],
  ] as const)('header %j → %s', (header, reason) => {
    expect(verifyWebhookSignature({ ...base, header })).toEqual({ ok: false, reason });
  });

  it('signatures of the wrong length are a mismatch, not an exception', () => {
    expect(verifyWebhookSignature({ ...base, header: `t=${t},v1=abc` })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhookSignature({ ...base, header: `t=${t},v1=` })).toEqual({ ok: false, reason: 'no_v1_signature' });
  });

  it('refuses to verify without a secret', () => {
    expect(verifyWebhookSignature({ ...base, secrets: [] })).toEqual({ ok: false, reason: 'no_secret' });
    expect(verifyWebhookSignature({ ...base, secrets: [''] })).toEqual({ ok: false, reason: 'no_secret' });
  });

  it('defaults now to the clock', () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const header = signWebhook(vector.secret, vector.rawBody, nowSec);
    expect(verifyWebhookSignature({ header, rawBody: vector.rawBody, secrets: [vector.secret] }).ok).toBe(true);
    expect(verifyWebhookSignature({ ...base }).ok).toBe(true);
    expect(verifyWebhookSignature({ header: vector.header, rawBody: vector.rawBody, secrets: [vector.secret] }).ok).toBe(false);
  });
});

describe('parseSignatureHeader', () => {
  it('keeps t as written and every v1 (base64 padding intact)', () => {
    expect(parseSignatureHeader('t=0012,v1=ab==,v1=cd=')).toEqual({ timestamp: 12, t: '0012', v1: ['ab==', 'cd='] });
  });
});
