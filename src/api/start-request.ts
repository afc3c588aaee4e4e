/**
 * The body of `POST /v1/sessions`: the job model (src/domain/job-request.ts) plus the option names of Jitsi
 * Meet's `startRecording` (docs/jitsi-recorder.md, "How Meet asks for a recording"), so a front end can forward what it already has. Pure: translates
 * the aliases, then validates once with parseJobRequest. Who is asking comes from the token, never the body.
 */
import { ScribaError } from '../domain/errors.ts';
import { parseJobRequest, type JobPolicy, type JobRequest } from '../domain/job-request.ts';

/** startRecording's names; everything else is passed to the job model, which refuses unknown fields. */
const ALIASES = [
  'mode',
  'rtmpStreamKey',
  'rtmpBroadcastID',
  'youtubeStreamKey',
  'youtubeBroadcastID',
  'extraMetadata',
  'shouldShare',
  'webhookUrl',
] as const;

export interface StartRequest {
  readonly job: JobRequest;
  /** The request's own webhook URL, not yet checked against the allow-list. */
  readonly webhookUrl: string | null;
}

function bad(message: string): ScribaError {
  return new ScribaError('invalid_request', message);
}

const optionalString = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad(`${name}: must be a string`);
  return v;
};

export function parseStartRequest(body: unknown, policy: JobPolicy, newId: () => string): StartRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('the request body must be a JSON object');
  const input: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if ('initiator' in input) throw bad('initiator: set from the token, not the request');
  const alias: Partial<Record<(typeof ALIASES)[number], unknown>> = {};
  for (const key of ALIASES) {
    alias[key] = input[key];
    delete input[key];
  }
  const mode = alias.mode;
  if (mode !== undefined && mode !== 'file' && mode !== 'stream') throw bad('mode: must be "file" or "stream"');
  if (mode === 'file') input['file'] ??= true;
  if (mode === 'stream' && input['stream'] === undefined) {
    const streamId = optionalString(alias.youtubeStreamKey, 'youtubeStreamKey') ?? optionalString(alias.rtmpStreamKey, 'rtmpStreamKey');
    if (streamId === undefined) throw bad('mode "stream" needs rtmpStreamKey or youtubeStreamKey (a YouTube key or an rtmp(s):// URL)');
    const broadcast =
      optionalString(alias.youtubeBroadcastID, 'youtubeBroadcastID') ?? optionalString(alias.rtmpBroadcastID, 'rtmpBroadcastID');
    input['stream'] = { streamId, ...(broadcast !== undefined ? { youtubeBroadcastId: broadcast } : {}) };
  }
  const extra = alias.extraMetadata;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
    throw bad('extraMetadata: must be a JSON object');
  }
  if (alias.shouldShare !== undefined && typeof alias.shouldShare !== 'boolean') throw bad('shouldShare: must be true or false');
  if (extra !== undefined || alias.shouldShare !== undefined) {
    const base = input['metadata'];
    if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base)))
      throw bad('metadata: must be a JSON object');
    // As Jicofo builds app_data.file_recording_metadata: extraMetadata plus "share".
    input['metadata'] = {
      ...(base as Record<string, unknown> | undefined),
      ...(extra as Record<string, unknown> | undefined),
      ...(alias.shouldShare !== undefined ? { share: alias.shouldShare } : {}),
    };
  }
  const webhookUrl = optionalString(alias.webhookUrl, 'webhookUrl') ?? null;
  return { job: parseJobRequest(input, policy, newId), webhookUrl };
}
