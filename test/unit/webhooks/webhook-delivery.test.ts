import { describe, expect, it } from 'vitest';
import { safeUrl, webhookHeaders } from '../../../src/webhooks/webhook-delivery.ts';
import { verifyWebhookSignature } from '../../../src/webhooks/webhook-signature.ts';

describe('webhookHeaders', () => {
  const body = JSON.stringify({ eventType: 'RECORDING_STARTED', data: { conference: 'Zürich' } });

  it('signs the exact body with the attempt time', () => {
    const headers = webhookHeaders(body, 'whsec_test', 1_700_000_000);
    expect(headers).toMatchObject({
      'Content-Type': 'application/json',
      'User-Agent': 'scriba',
      'Content-Length': Buffer.byteLength(body),
    });
    const header = headers['X-Jaas-Signature'];
    expect(typeof header).toBe('string');
    expect(String(header).startsWith('t=1700000000,v1=')).toBe(true);
    expect(verifyWebhookSignature({ header: String(header), rawBody: body, secrets: ['whsec_test'], nowSec: 1_700_000_010 }).ok).toBe(true);
  });

  it('counts bytes, not characters', () => {
    expect(webhookHeaders(body, '', 0)['Content-Length']).toBe(body.length + 1);
  });

  it('sends no signature without a secret', () => {
    expect(Object.keys(webhookHeaders(body, '', 0))).not.toContain('X-Jaas-Signature');
  });
});

describe('safeUrl', () => {
  it.each([
    ['https://user:pw@hooks.example.com:8443/in?token=abc#frag', 'https://hooks.example.com:8443/in'],
    ['http://127.0.0.1:9/hook', 'http://127.0.0.1:9/hook'],
    ['nonsense', '(invalid URL)'],
  ])('%s → %s', (url, safe) => {
    expect(safeUrl(url)).toBe(safe);
  });
});
