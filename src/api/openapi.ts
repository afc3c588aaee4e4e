/**
 * The OpenAPI 3.1 document served at /v1/openapi.json. The start body's schema is generated from the job
 * model's zod schema (one source of truth), plus the names Jitsi Meet's startRecording uses.
 */
import { z } from 'zod';
import { jobRequestInput } from '../domain/job-request.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string', description: 'for people; never a stack trace' } },
    },
  },
};

const sessionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { enum: ['queued', 'active', 'completed', 'failed'] },
    room: { type: 'string' },
    tenant: { type: ['string', 'null'] },
    meetingHost: { type: 'string' },
    modes: { type: 'array', items: { enum: ['file', 'stream', 'transcription'] } },
    youtubeBroadcastId: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    attempts: { type: 'integer' },
    stopRequested: { type: 'boolean' },
    initiator: { type: ['object', 'null'], properties: { id: {}, name: {}, email: {} } },
    result: {},
    error: { type: ['object', 'null'], properties: { message: { type: 'string' }, retryable: { type: 'boolean' } } },
  },
};

function startBodySchema(): Record<string, unknown> {
  const base = z.toJSONSchema(jobRequestInput, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const properties = { ...(base['properties'] as Record<string, unknown>) };
  delete properties['initiator']; // from the token
  return {
    ...base,
    properties: {
      ...properties,
      mode: { enum: ['file', 'stream'], description: 'startRecording mode; file = file: true' },
      rtmpStreamKey: { type: 'string', description: 'stream mode: an rtmp(s):// URL or a YouTube key (secret)' },
      youtubeStreamKey: { type: 'string', description: 'stream mode: a YouTube stream key (secret)' },
      youtubeBroadcastID: { type: 'string' },
      rtmpBroadcastID: { type: 'string' },
      extraMetadata: { type: 'object', description: 'copied into metadata.json (app_data.file_recording_metadata)' },
      shouldShare: { type: 'boolean', description: 'metadata "share"' },
      webhookUrl: { type: 'string', format: 'uri', description: "this session's own webhook receiver; must match api.allowedCallbackUrls" },
    },
  };
}

const json = (schema: unknown) => ({ 'application/json': { schema } });
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'error', content: json({ $ref: '#/components/schemas/Error' }) }]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (the message names the field)',
  401: 'no valid token',
  403: 'the token does not allow this',
  404: 'no such session',
  409: 'a session for this room and mode is already queued or running, or the session has ended',
  413: 'body too large',
  415: 'not JSON',
};

export function openApiDocument(): Record<string, unknown> {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Scriba control API',
      version: '1',
      description:
        'Start and stop recordings, live streams and transcriptions of Jitsi meetings. Every call needs a Jitsi JWT (Authorization: Bearer).',
    },
    components: {
      securitySchemes: { jitsiJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema, Session: sessionSchema, StartRequest: startBodySchema() },
    },
    security: [{ jitsiJwt: [] }],
    paths: {
      '/v1/sessions': {
        post: {
          summary: 'Start a session (file, stream, transcription or a combination)',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/StartRequest' }) },
          responses: {
            '201': { description: 'queued', content: json({ $ref: '#/components/schemas/Session' }) },
            ...errors(400, 401, 403, 409, 413, 415),
          },
        },
        get: {
          summary: 'Sessions of a room, newest first',
          parameters: [
            { name: 'room', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'tenant', in: 'query', schema: { type: 'string' } },
            { name: 'host', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
          ],
          responses: {
            '200': {
              description: 'ok',
              content: json({
                type: 'object',
                properties: { sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } } },
              }),
            },
            ...errors(400, 401),
          },
        },
      },
      '/v1/sessions/{id}': {
        get: {
          summary: 'One session',
          parameters: [idParam],
          responses: { '200': { description: 'ok', content: json({ $ref: '#/components/schemas/Session' }) }, ...errors(401, 403, 404) },
        },
      },
      '/v1/sessions/{id}/stop': {
        post: {
          summary: 'Stop a session (moderators of its room)',
          parameters: [idParam],
          responses: {
            '202': { description: 'stop requested', content: json({ $ref: '#/components/schemas/Session' }) },
            ...errors(401, 403, 404, 409),
          },
        },
      },
      '/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'ok' } } } },
    },
  };
}
