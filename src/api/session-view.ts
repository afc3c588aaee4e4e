/**
 * What the API shows of a session. Pure. Leaves out everything secret: the stream URL (it holds the key),
 * the meeting JWT, the room password and the request metadata (it may hold upload tokens).
 *
 * Two scopes: `full` for a moderator of the meeting or the session's initiator (download links, storage
 * keys, the initiator's e-mail); `status` for anyone else with a token for that room. Room names are reused
 * (tomorrow's guest of "standup" must not download today's recording), so a room token alone sees status only.
 */
import type { JobKind, JobRequest } from '../domain/job-request.ts';
import { scrubText } from '../log/redact.ts';
import type { JobRecord } from '../queue/job-queue.ts';

export type SessionViewScope = 'full' | 'status';

export interface SessionView {
  readonly id: string;
  readonly status: JobRecord<JobRequest>['status'];
  readonly room: string;
  readonly tenant: string | null;
  readonly meetingHost: string;
  readonly modes: readonly JobKind[];
  readonly youtubeBroadcastId: string | null;
  readonly createdAt: string;
  readonly attempts: number;
  readonly stopRequested: boolean;
  readonly initiator: JobRequest['initiator'];
  readonly result: unknown;
  readonly error: JobRecord<JobRequest>['error'];
}

/** What of a session's result a status-only caller sees: how it ended, never where the files are. */
function statusOnly(result: unknown): unknown {
  if (result === null || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ['durationSec', 'reason'] as const) if (key in r) out[key] = r[key];
  return out;
}

export function sessionView(record: JobRecord<JobRequest>, scope: SessionViewScope = 'status'): SessionView {
  const job = record.data;
  const full = scope === 'full';
  const initiator = job.initiator === null ? null : full ? job.initiator : { id: null, name: job.initiator.name, email: null };
  const stream = job.outputs.find((o) => o.kind === 'stream');
  return {
    id: record.id,
    status: record.status,
    room: job.target.room,
    tenant: job.target.tenant,
    meetingHost: new URL(job.target.baseUrl).host,
    modes: job.outputs.map((o) => o.kind),
    youtubeBroadcastId: stream?.kind === 'stream' ? stream.youtubeBroadcastId : null,
    createdAt: new Date(record.enqueuedAtMs).toISOString(),
    attempts: record.attempts,
    stopRequested: record.stopRequested,
    initiator,
    result: full ? record.result : statusOnly(record.result),
    // Scrubbed once more on the way out: stored errors were cleaned when written, this guards older rows.
    error: record.error === null ? null : { ...record.error, message: scrubText(record.error.message) },
  };
}
