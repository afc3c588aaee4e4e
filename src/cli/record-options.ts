/** `scriba record` flags → a validated RecordingRequest and config overrides (pure). */
import { parseMeetingUrl } from '../browser/meeting-url.ts';
import type { ScribaConfig } from '../config/config.ts';
import { ScribaError } from '../domain/errors.ts';
import { recorderLogin } from '../session/recorder-login.ts';
import type { RecordingRequest } from '../session/session-types.ts';

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
}

function seconds(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ScribaError('invalid_request', `--${name} must be a positive number of seconds, got "${raw}"`);
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

export function buildRecordingRequest(flags: RecordFlags, config: ScribaConfig, sessionId: string): RecordingRequest {
  if (!flags.url) throw new ScribaError('invalid_request', 'missing --url <meeting URL>');
  const resolution = flags.resolution ?? config.capture.resolution;
  if (resolution !== '720p' && resolution !== '1080p') {
    throw new ScribaError('invalid_request', `--resolution must be 720p or 1080p, got "${resolution}"`);
  }
  // Plain http only for loopback meetings (the synthetic meeting, local dev) unless configured otherwise.
  const target = parseMeetingUrl(flags.url, config.meeting.allowHttp || isLoopbackUrl(flags.url));
  return {
    sessionId,
    target,
    login: recorderLogin(config, sessionId),
    roomPassword: flags['room-password'] ?? null,
    resolution,
    maxDurationSec: config.checks.maxDurationSec,
    recordFile: true,
    stream: null,
    fileRecordingMetadata: {},
  };
}
