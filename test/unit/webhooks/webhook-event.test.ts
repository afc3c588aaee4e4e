import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES, buildEnvelope, type EnvelopeContext, type WebhookEventInput } from '../../../src/webhooks/webhook-event.ts';

const ctx: EnvelopeContext = {
  newId: () => '9e9e7420-562d-4659-8e22-44b9b22aaa49',
  now: () => 1_700_000_000_123,
  defaultAppId: 'scriba',
  customerId: 'cust-1',
};

describe('buildEnvelope', () => {
  it('fills the JaaS envelope in the documented order', () => {
    const env = buildEnvelope(
      { eventType: 'RECORDING_STARTED', data: { conference: 'room@conference.meet.example' }, sessionId: 's-1', room: 'MyRoom' },
      ctx,
    );
    expect(env).toEqual({
      idempotencyKey: '9e9e7420-562d-4659-8e22-44b9b22aaa49',
      customerId: 'cust-1',
      appId: 'scriba',
      eventType: 'RECORDING_STARTED',
      sessionId: 's-1',
      timestamp: 1_700_000_000_123,
      fqn: 'scriba/MyRoom',
      data: { conference: 'room@conference.meet.example' },
    });
    expect(Object.keys(env)).toEqual(['idempotencyKey', 'customerId', 'appId', 'eventType', 'sessionId', 'timestamp', 'fqn', 'data']);
  });

  it('uses the input appId (tenant) and timestamp when given', () => {
    const env = buildEnvelope(
      {
        eventType: 'LIVE_STREAM_ENDED',
        data: { conference: 'r', reason: 'error', error: { code: 'rtmp_failed', message: 'refused' } },
        sessionId: 's',
        room: 'r',
        appId: 'vpaas-magic-cookie-1',
        timestampMs: 42,
      },
      ctx,
    );
    expect(env.appId).toBe('vpaas-magic-cookie-1');
    expect(env.fqn).toBe('vpaas-magic-cookie-1/r');
    expect(env.timestamp).toBe(42);
    expect(env.data).toEqual({ conference: 'r', reason: 'error', error: { code: 'rtmp_failed', message: 'refused' } });
  });

  it.each([null, ''])('falls back to the default appId for %j', (appId) => {
    const env = buildEnvelope({ eventType: 'RECORDING_ENDED', data: { conference: 'r' }, sessionId: 's', room: 'r', appId }, ctx);
    expect(env.appId).toBe('scriba');
  });

  it('a fresh idempotency key per event', () => {
    let n = 0;
    const counting = { ...ctx, newId: () => `id-${++n}` };
    const input: WebhookEventInput = {
      eventType: 'TRANSCRIPTION_UPLOADED',
      data: { preAuthenticatedLink: 'https://x/t' },
      sessionId: 's',
      room: 'r',
    };
    expect([buildEnvelope(input, counting).idempotencyKey, buildEnvelope(input, counting).idempotencyKey]).toEqual(['id-1', 'id-2']);
  });

  it('carries every event type with its data', () => {
    const inputs: WebhookEventInput[] = [
      { eventType: 'RECORDING_STARTED', data: { conference: 'r' }, sessionId: 's', room: 'r' },
      { eventType: 'RECORDING_ENDED', data: { conference: 'r', reason: 'signal' }, sessionId: 's', room: 'r' },
      { eventType: 'LIVE_STREAM_STARTED', data: { conference: 'r' }, sessionId: 's', room: 'r' },
      { eventType: 'LIVE_STREAM_ENDED', data: { conference: 'r' }, sessionId: 's', room: 'r' },
      {
        eventType: 'RECORDING_UPLOADED',
        data: {
          participants: [{ name: 'Ada', avatar: '', id: 'u1' }],
          preAuthenticatedLink: 'https://files.example/rec.mp4?sig=x',
          share: true,
          initiatorId: 'u1',
          durationSec: 61,
          startTimestamp: 1,
          endTimestamp: 61_001,
          recordingSessionId: 'rs-1',
        },
        sessionId: 's',
        room: 'r',
      },
      { eventType: 'TRANSCRIPTION_UPLOADED', data: { preAuthenticatedLink: 'https://x/t' }, sessionId: 's', room: 'r' },
      {
        eventType: 'TRANSCRIPTION_CHUNK_RECEIVED',
        data: {
          final: 'Hello.',
          language: 'en-US',
          messageID: 'm1',
          participant: { id: 'p', name: 'Ada', userId: 'u1', email: '', avatarUrl: '' },
        },
        sessionId: 's',
        room: 'r',
      },
      {
        eventType: 'RECORDING_FAILED',
        data: { conference: 'r', mode: 'file', reason: 'join_failed', message: 'could not join', shouldRetry: true },
        sessionId: 's',
        room: 'r',
      },
    ];
    expect(inputs.map((i) => buildEnvelope(i, ctx).eventType)).toEqual([...WEBHOOK_EVENT_TYPES]);
    for (const i of inputs) expect(buildEnvelope(i, ctx).data).toBe(i.data);
  });

  it('pairs eventType with its data at compile time', () => {
    // @ts-expect-error RECORDING_UPLOADED needs its own data, not a conference
    const wrong: WebhookEventInput = { eventType: 'RECORDING_UPLOADED', data: { conference: 'r' }, sessionId: 's', room: 'r' };
    expect(wrong.eventType).toBe('RECORDING_UPLOADED');
  });
});
