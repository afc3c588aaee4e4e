/**
 * The job model: what a start request asks for, validated once at the edge (CLI, API, Jibri IQ) into a
 * fully required object before any side effect. One session may combine outputs (file, live stream,
 * transcription) fed from one capture; each output is one union member, not a bag of optional fields.
 *
 * Pure: zod and the pure meeting-URL parser only.
 */
import { z } from 'zod';
import { parseMeetingUrl, type MeetingTarget } from './meeting-target.ts';
import { ScribaError } from './errors.ts';

export type JobOutput =
  | { readonly kind: 'file'; readonly resolution: '720p' | '1080p' }
  | {
      readonly kind: 'stream';
      /** Full rtmp(s) URL, the key included: secret, never logged. */
      readonly url: string;
      readonly youtubeBroadcastId: string | null;
    }
  | {
      readonly kind: 'transcription';
      readonly language: string;
      /** A speech engine the request chose among the deployment's enabled ones; absent: the deployment's. */
      readonly engine?: string;
    };

export type JobKind = JobOutput['kind'];

export interface JobInitiator {
  readonly id: string | null;
  readonly name: string | null;
  readonly email: string | null;
}

export interface JobRequest {
  readonly sessionId: string;
  readonly target: MeetingTarget;
  readonly roomPassword: string | null;
  /** Non-empty, at most one of each kind. */
  readonly outputs: readonly JobOutput[];
  readonly maxDurationSec: number;
  /** app_data.file_recording_metadata: may hold secrets, never logged. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly initiator: JobInitiator | null;
  /** The app (JaaS appId, the token's `sub`) events are reported under; null = the deployment's default. */
  readonly appId: string | null;
  /** A per-request webhook URL, already checked against the deployment's allow-list; null = none. */
  readonly webhookUrl: string | null;
  /**
   * Set on jobs started through a Jibri brewery: the name of the `xmpp.environments` entry the start IQ came
   * from, so the worker joins with that environment's call-login. Only the name: jobs are persisted, the
   * password stays in the configuration. Absent for API and CLI jobs.
   */
  readonly xmppEnvironment?: string;
}

/**
 * Deployment rules the request is checked against. Host patterns: exact names or `*.example.com`; `*` = any.
 * Meeting host patterns also say the port: none means the scheme's default port only, `host:8443` that port,
 * `host:*` any port (so an allowed name cannot be turned at another service on the same host, e.g. `:6379`).
 */
export interface JobPolicy {
  readonly allowedMeetingHosts: readonly string[];
  readonly allowedStreamHosts: readonly string[];
  readonly allowHttp: boolean;
  readonly defaultMaxDurationSec: number;
  readonly maxDurationCapSec: number;
  /** Speech engines a request may name (`transcription.engine` and `enabledEngines`); absent: none. */
  readonly speechEngines?: readonly string[];
}

export const YOUTUBE_RTMP_BASE = 'rtmp://a.rtmp.youtube.com/live2';

export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1;
    return h === pattern;
  });
}

/** Is the meeting URL's host and port allowed by one of the patterns (see JobPolicy)? */
export function meetingHostAllowed(url: URL, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    const colon = p.lastIndexOf(':');
    // A bare IPv6 pattern has colons of its own; only `[…]:port` or `name:port` carry a port.
    const hasPort = colon > 0 && (!p.includes(']') || p.lastIndexOf(']') < colon) && (p.match(/:/g)?.length === 1 || p.startsWith('['));
    const hostPattern = hasPort ? p.slice(0, colon) : p;
    const portPattern = hasPort ? p.slice(colon + 1) : '';
    if (!hostAllowed(url.hostname, [hostPattern])) return false;
    if (portPattern === '*') return true;
    return url.port === (portPattern === '' ? '' : String(Number(portPattern)));
  });
}

const STREAM_KEY = /^[A-Za-z0-9_.-]{1,256}$/;

/**
 * A stream id as Jitsi sends it: a full rtmp:// or rtmps:// URL, or else a YouTube stream key
 * (docs/jitsi-recorder.md, "Jibri's own ffmpeg"). Returns the URL to publish to. Messages never repeat the key.
 */
export function resolveStreamTarget(streamId: string, allowedHosts: readonly string[]): string {
  const id = streamId.trim();
  if (/^rtmps?:\/\//i.test(id)) {
    let url: URL;
    try {
      url = new URL(id);
    } catch {
      throw new ScribaError('invalid_request', 'the stream URL is not a valid rtmp:// or rtmps:// URL');
    }
    if (!hostAllowed(url.hostname, allowedHosts)) {
      throw new ScribaError('invalid_request', `streaming to ${url.hostname} is not allowed by this deployment`);
    }
    if (url.pathname.split('/').filter(Boolean).length < 2) {
      throw new ScribaError('invalid_request', 'the stream URL must include an application and a stream key (rtmp://host/app/key)');
    }
    return id;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(id)) {
    throw new ScribaError('invalid_request', 'a stream target must be an rtmp:// or rtmps:// URL or a YouTube stream key');
  }
  if (!STREAM_KEY.test(id)) throw new ScribaError('invalid_request', 'the YouTube stream key has characters a key cannot have');
  if (!hostAllowed('a.rtmp.youtube.com', allowedHosts)) {
    throw new ScribaError('invalid_request', 'streaming to YouTube is not allowed by this deployment');
  }
  return `${YOUTUBE_RTMP_BASE}/${id}`;
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** `true` means "with defaults", `false` means "no": then the object's own messages stay precise. */
const flagOr = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === true ? {} : v === false ? undefined : v), schema.optional());

/** The wire shape (lenient: defaults fill what is missing). Mirrors Jitsi's startRecording options. */
export const jobRequestInput = z.strictObject({
  sessionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 characters of A-Z, a-z, 0-9, _ and -')
    .optional(),
  meetingUrl: text(2048),
  roomPassword: z.string().max(256).optional(),
  file: flagOr(z.strictObject({ resolution: z.enum(['720p', '1080p']).optional() })),
  stream: z
    .strictObject({
      streamId: text(2048),
      youtubeBroadcastId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a YouTube broadcast id')
        .optional(),
    })
    .optional(),
  transcription: flagOr(
    z.strictObject({
      language: z
        .string()
        .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en-US')
        .optional(),
      engine: z
        .string()
        .regex(/^[a-z_]{1,32}$/, 'must be a speech engine name such as openai')
        .optional(),
    }),
  ),
  maxDurationSec: z.number().int().positive().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  initiator: z
    .strictObject({ id: z.string().max(256).optional(), name: z.string().max(256).optional(), email: z.string().max(256).optional() })
    .optional(),
});

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'the request is not valid';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'request';
  return `${where}: ${issue.message}`;
}

/** Validates and defaults a start request. Throws ScribaError('invalid_request') with a message a person understands. */
export function parseJobRequest(input: unknown, policy: JobPolicy, newId: () => string): JobRequest {
  const parsed = jobRequestInput.safeParse(input);
  if (!parsed.success) throw new ScribaError('invalid_request', firstProblem(parsed.error));
  const r = parsed.data;
  const target = parseMeetingUrl(r.meetingUrl, policy.allowHttp);
  const base = new URL(target.baseUrl);
  if (!meetingHostAllowed(base, policy.allowedMeetingHosts)) {
    throw new ScribaError('invalid_request', `meetings on ${base.host} are not allowed by this deployment`);
  }
  const outputs: JobOutput[] = [];
  if (r.file) outputs.push({ kind: 'file', resolution: r.file.resolution ?? '720p' });
  if (r.stream) {
    outputs.push({
      kind: 'stream',
      url: resolveStreamTarget(r.stream.streamId, policy.allowedStreamHosts),
      youtubeBroadcastId: r.stream.youtubeBroadcastId ?? null,
    });
  }
  if (r.transcription) {
    const engine = r.transcription.engine;
    if (engine !== undefined && !(policy.speechEngines ?? []).includes(engine)) {
      const enabled = (policy.speechEngines ?? []).join(', ') || 'none to choose from';
      throw new ScribaError('invalid_request', `transcription.engine: "${engine}" is not enabled on this deployment (enabled: ${enabled})`);
    }
    outputs.push({ kind: 'transcription', language: r.transcription.language ?? 'en-US', ...(engine === undefined ? {} : { engine }) });
  }
  if (outputs.length === 0) throw new ScribaError('invalid_request', 'ask for at least one of file, stream or transcription');
  const maxDurationSec = r.maxDurationSec ?? policy.defaultMaxDurationSec;
  if (maxDurationSec > policy.maxDurationCapSec) {
    throw new ScribaError('invalid_request', `maxDurationSec: at most ${policy.maxDurationCapSec} s on this deployment`);
  }
  const i = r.initiator;
  return {
    sessionId: r.sessionId ?? newId(),
    target,
    roomPassword: r.roomPassword ?? null,
    outputs,
    maxDurationSec,
    metadata: r.metadata ?? {},
    initiator: i ? { id: i.id ?? null, name: i.name ?? null, email: i.email ?? null } : null,
    appId: null,
    webhookUrl: null,
  };
}

/** The kinds a request asks for, e.g. for admission cost and the one-session-per-room-and-mode rule. */
export function jobKinds(request: JobRequest): JobKind[] {
  return request.outputs.map((o) => o.kind);
}
