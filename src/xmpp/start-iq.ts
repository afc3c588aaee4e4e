/**
 * A Jibri start request (Jicofo's `<jibri xmlns="http://jitsi.org/protocol/jibri" action="start" …/>` IQ)
 * validated into a JobRequest, or the reason it cannot be served. Pure. The attributes and the replies are
 * described in docs/jitsi-deployment.md ("The protocol").
 */
import { ScribaError } from '../domain/errors.ts';
import { resolveStreamTarget, type JobOutput, type JobPolicy, type JobRequest } from '../domain/job-request.ts';
import { meetingTargetFromRoomJid } from './room-jid.ts';
import type { XmppEnvironment } from './xmpp-environment.ts';

/** The attributes of a <jibri xmlns="http://jitsi.org/protocol/jibri"> IQ element, as strings (missing = undefined). */
export type JibriIqAttrs = Readonly<Record<string, string | undefined>>;
export type JibriIqAction = 'start' | 'stop';

/** Why a start cannot be served; maps 1:1 to the IQ reply `status="off" failure_reason=... should_retry=...`. */
export interface StartRefusal {
  readonly failureReason: 'error' | 'busy';
  readonly shouldRetry: boolean;
  /** safe to log, no secrets */
  readonly message: string;
}

export type StartIqResult = { ok: true; request: JobRequest } | { ok: false; refusal: StartRefusal };

/** The IQ's action, case-insensitive as Jibri reads it; null when it is neither. */
export function jibriIqAction(attrs: JibriIqAttrs): JibriIqAction | null {
  const action = attrs['action']?.trim().toLowerCase();
  return action === 'start' || action === 'stop' ? action : null;
}

/** A request no recorder could serve: Jicofo must not retry it on another one. */
function refuse(message: string): { ok: false; refusal: StartRefusal } {
  return { ok: false, refusal: { failureReason: 'error', shouldRetry: false, message } };
}

/** Largest app_data accepted (Jicofo sends a small JSON object; this only bounds the parse). */
const MAX_APP_DATA = 64 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** app_data's file_recording_metadata ({} when absent), or a problem. */
function metadataFromAppData(appData: string | undefined): { metadata: Record<string, unknown> } | { problem: string } {
  if (appData === undefined || appData.trim() === '') return { metadata: {} };
  if (appData.length > MAX_APP_DATA) return { problem: 'app_data is too large' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(appData);
  } catch {
    return { problem: 'app_data is not valid JSON' };
  }
  if (parsed === null) return { metadata: {} };
  if (!isObject(parsed)) return { problem: 'app_data must be a JSON object' };
  const meta = parsed['file_recording_metadata'];
  if (meta === undefined || meta === null) return { metadata: {} };
  if (!isObject(meta)) return { problem: 'app_data.file_recording_metadata must be a JSON object' };
  return { metadata: meta };
}

const BROADCAST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** you_tube_broadcast_id: an id, or (as Jibri also accepts) a YouTube viewing URL holding one; else null. */
function broadcastId(raw: string | undefined): string | null {
  const text = raw?.trim() ?? '';
  if (BROADCAST_ID.test(text)) return text;
  if (!/^https?:\/\//i.test(text)) return null;
  try {
    const url = new URL(text);
    const id = url.searchParams.get('v') ?? (url.hostname === 'youtu.be' ? url.pathname.slice(1) : '');
    return BROADCAST_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Jicofo's session_id as a Scriba session id ([A-Za-z0-9_-], at most 128); newId() when nothing is left. */
function sessionIdFrom(raw: string | undefined, newId: () => string): string {
  const cleaned = (raw ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 128);
  return cleaned === '' ? newId() : cleaned;
}

/** For log lines: a short, printable rendering of an attribute we did not understand. */
function shown(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_.-]/g, '?');
  return clean.length > 32 ? `${clean.slice(0, 32)}…` : clean;
}

/**
 * Parses a start IQ into a JobRequest for this environment, or a refusal (unsupported mode such as SIP,
 * missing/invalid room, garbage app_data, a stream id that is not a usable rtmp(s) URL or YouTube key →
 * should_retry false). The meeting's host is the environment's base-url, trusted whatever
 * policy.allowedMeetingHosts says; the stream target is checked against policy.allowedStreamHosts.
 */
export function jobFromStartIq(attrs: JibriIqAttrs, env: XmppEnvironment, policy: JobPolicy, newId: () => string): StartIqResult {
  if (jibriIqAction(attrs) !== 'start') return refuse('not a start request');
  // Jibri's order: a SIP address makes it a SIP gateway request whatever the mode says.
  if ((attrs['sipaddress'] ?? '').trim() !== '') return refuse('SIP gateway sessions are not supported');
  const mode = (attrs['recording_mode'] ?? '').trim().toLowerCase();
  if (mode !== 'file' && mode !== 'stream') {
    return refuse(mode === '' ? 'the start request has no recording_mode' : `recording_mode "${shown(mode)}" is not supported`);
  }
  const room = attrs['room']?.trim() ?? '';
  if (room === '') return refuse('the start request names no room');

  const app = metadataFromAppData(attrs['app_data']);
  if ('problem' in app) return refuse(app.problem);

  let target;
  try {
    target = meetingTargetFromRoomJid(room, env);
  } catch (err) {
    if (err instanceof ScribaError) return refuse(err.message);
    throw err;
  }

  const outputs: JobOutput[] = [];
  if (mode === 'file') {
    outputs.push({ kind: 'file', resolution: '720p' });
  } else {
    const streamId = attrs['streamid']?.trim() ?? '';
    if (streamId === '') return refuse('stream mode without a streamid');
    try {
      outputs.push({
        kind: 'stream',
        url: resolveStreamTarget(streamId, policy.allowedStreamHosts),
        youtubeBroadcastId: broadcastId(attrs['you_tube_broadcast_id']),
      });
    } catch (err) {
      // resolveStreamTarget's messages never repeat the key.
      if (err instanceof ScribaError) return refuse(err.message);
      throw err;
    }
  }

  // Jibri's usage-timeout (0 = none) bounds the session, within the deployment's cap.
  const maxDurationSec = env.usageTimeoutSec > 0 ? Math.min(env.usageTimeoutSec, policy.maxDurationCapSec) : policy.defaultMaxDurationSec;
  return {
    ok: true,
    request: {
      sessionId: sessionIdFrom(attrs['session_id'], newId),
      target,
      roomPassword: null,
      outputs,
      maxDurationSec,
      metadata: app.metadata,
      initiator: null,
      appId: null,
      webhookUrl: null,
      xmppEnvironment: env.name,
    },
  };
}
