/** `scriba record` flags → a validated RecordingRequest and config overrides (pure). */
import { parseMeetingUrl } from '../domain/meeting-target.ts';
import type { ScribaConfig } from '../config/config.ts';
import { ScribaError } from '../domain/errors.ts';
import { resolveStreamTarget } from '../domain/job-request.ts';
import { recorderLogin } from '../session/recorder-login.ts';
import { sessionOutputs } from '../session/session-outputs.ts';
import type { RecordingRequest, StreamTarget } from '../session/session-types.ts';

export interface RecordFlags {
  readonly url?: string | undefined;
  readonly out?: string | undefined;
  readonly 'max-duration'?: string | undefined;
  readonly resolution?: string | undefined;
  readonly 'empty-call-timeout'?: string | undefined;
  readonly 'check-interval'?: string | undefined;
  readonly 'session-id'?: string | undefined;
  readonly 'room-password'?: string | undefined;
  readonly 'log-level'?: string | undefined;
  /** An rtmp(s):// URL or a YouTube stream key. */
  readonly stream?: string | undefined;
  readonly 'youtube-broadcast-id'?: string | undefined;
  /** false (`--no-file`): stream only. */
  readonly file?: boolean | undefined;
}

/** node:util parseArgs options of `scriba record` (use with `allowNegative: true` for `--no-file`). */
export const RECORD_ARG_OPTIONS = {
  url: { type: 'string' },
  out: { type: 'string' },
  'max-duration': { type: 'string' },
  resolution: { type: 'string' },
  'empty-call-timeout': { type: 'string' },
  'check-interval': { type: 'string' },
  'session-id': { type: 'string' },
  'room-password': { type: 'string' },
  'log-level': { type: 'string' },
  stream: { type: 'string' },
  'youtube-broadcast-id': { type: 'string' },
  file: { type: 'boolean' },
} as const;

function seconds(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new ScribaError('invalid_request', `--${name} must be a positive number of seconds, got "${raw}"`);
  return n;
}

/** Config overrides that come from flags (applied on top of defaults, file and environment). */
export function recordConfigOverrides(flags: RecordFlags): Record<string, unknown> {
  const checks: Record<string, number> = {};
  const empty = seconds('empty-call-timeout', flags['empty-call-timeout']);
  if (empty !== undefined) checks['emptyCallTimeoutSec'] = empty;
  const interval = seconds('check-interval', flags['check-interval']);
  if (interval !== undefined) checks['intervalSec'] = interval;
  const max = seconds('max-duration', flags['max-duration']);
  if (max !== undefined) checks['maxDurationSec'] = max;
  return { ...(flags.out ? { recordingsDir: flags.out } : {}), ...(flags['log-level'] ? { logLevel: flags['log-level'] } : {}), checks };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * `--stream` through the same check as every other edge (resolveStreamTarget: a URL on an allowed host, or a
 * YouTube key). Loopback RTMP hosts are allowed here as loopback meetings are: whoever runs the CLI already
 * runs code on this machine, and it makes local testing against a local nginx possible. The API and the
 * queue do not do this: there a loopback target would let a caller reach services on the worker itself.
 */
export function cliStreamTarget(flags: RecordFlags, config: ScribaConfig): StreamTarget | null {
  const id = flags.stream;
  if (id === undefined) {
    if (flags['youtube-broadcast-id'] !== undefined) throw new ScribaError('invalid_request', '--youtube-broadcast-id needs --stream');
    return null;
  }
  const broadcast = flags['youtube-broadcast-id'] ?? null;
  if (broadcast !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(broadcast)) {
    throw new ScribaError('invalid_request', '--youtube-broadcast-id is not a YouTube broadcast id');
  }
  const hosts = [...config.worker.allowedStreamHosts];
  if (/^rtmps?:\/\//i.test(id.trim()) && isLoopbackUrl(id.trim())) hosts.push(new URL(id.trim()).hostname);
  return { url: resolveStreamTarget(id, hosts), youtubeBroadcastId: broadcast };
}

export function buildRecordingRequest(flags: RecordFlags, config: ScribaConfig, sessionId: string): RecordingRequest {
  if (!flags.url) throw new ScribaError('invalid_request', 'missing --url <meeting URL>');
  const resolution = flags.resolution ?? config.capture.resolution;
  if (resolution !== '720p' && resolution !== '1080p') {
    throw new ScribaError('invalid_request', `--resolution must be 720p or 1080p, got "${resolution}"`);
  }
  // Plain http only for loopback meetings (the synthetic meeting, local dev) unless configured otherwise.
  const target = parseMeetingUrl(flags.url, config.meeting.allowHttp || isLoopbackUrl(flags.url));
  const stream = cliStreamTarget(flags, config);
  const recordFile = flags.file ?? true;
  if (!recordFile && stream === null) throw new ScribaError('invalid_request', '--no-file needs --stream <rtmp URL or YouTube key>');
  return {
    sessionId,
    target,
    login: recorderLogin(config, sessionId),
    roomPassword: flags['room-password'] ?? null,
    resolution,
    maxDurationSec: config.checks.maxDurationSec,
    outputs: sessionOutputs([
      ...(recordFile ? [{ kind: 'file', resolution } as const] : []),
      ...(stream === null ? [] : [{ kind: 'stream', ...stream } as const]),
    ]),
    fileRecordingMetadata: {},
  };
}
