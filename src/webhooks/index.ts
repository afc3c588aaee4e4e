/** Public API of the webhooks module. */
export { createWebhookService, type WebhookService, type WebhookServiceDeps, type WebhookServiceOptions } from './webhook-service.ts';
export { callbackUrlAllowed } from './callback-url-allowed.ts';
export {
  WEBHOOK_EVENTS_VERSION,
  WEBHOOK_EVENT_TYPES,
  buildEnvelope,
  type ChunkParticipant,
  type ConferenceData,
  type EndedData,
  type EnvelopeContext,
  type FailedMode,
  type RecordingFailedData,
  type RecordingUploadedData,
  type TranscriptionChunkData,
  type TranscriptionUploadedData,
  type UploadParticipant,
  type WebhookEnvelope,
  type WebhookEventData,
  type WebhookEventInput,
  type WebhookEventType,
} from './webhook-event.ts';
export {
  DEFAULT_TOLERANCE_SEC,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type SignatureFailure,
  type SignatureVerification,
  type VerifyWebhookSignatureInput,
} from './webhook-signature.ts';
