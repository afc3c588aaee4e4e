/**
 * What the API shows of a session. Pure. Leaves out everything secret: the stream URL (it holds the key),
 * the meeting JWT, the room password and the request metadata (it may hold upload tokens).
 */
import type { JobKind, JobRequest } from '../domain/job-request.ts';
import type { JobRecord } from '../queue/job-queue.ts';

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

export function sessionView(record: JobRecord<JobRequest>): SessionView {
  const job = record.data;
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
    initiator: job.initiator,
    result: record.result,
    error: record.error,
  };
}

/** The tag a session is listed under: room and tenant (any meeting host). */
export function roomTag(tenant: string | null, room: string): string {
  return `room:${tenant ?? ''}/${room}`.toLowerCase();
}

/** One session per room and mode (Jicofo's rule), across every API replica and worker. */
export function exclusiveKey(target: { readonly baseUrl: string; readonly tenant: string | null; readonly room: string }, kind: string): string {
  return `session:${new URL(target.baseUrl).hostname}/${target.tenant ?? ''}/${target.room}:${kind}`.toLowerCase();
}
