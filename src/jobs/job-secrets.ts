/** The secrets one job carries (meeting JWT, room password, stream keys, request metadata). Pure. */
import type { JobRequest } from '../domain/job-request.ts';
import { sessionSecrets } from '../log/session-secrets.ts';

export function jobSecrets(job: JobRequest, extra: readonly (string | null | undefined)[] = []): string[] {
  return sessionSecrets({
    target: job.target,
    roomPassword: job.roomPassword,
    streamUrls: job.outputs.flatMap((o) => (o.kind === 'stream' ? [o.url] : [])),
    metadata: job.metadata,
    extra,
  });
}
