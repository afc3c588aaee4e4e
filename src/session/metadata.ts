/**
 * metadata.json beside the recording (docs/jitsi-recorder.md, "Files"): meeting_url, participants seen (hidden members
 * excluded), live_view_url when the session also streams to a YouTube broadcast, and every key of
 * app_data.file_recording_metadata at top level. That metadata may carry upload
 * tokens, so the file is written 0600 and never logged.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { MeetingTarget } from '../domain/meeting-target.ts';
import type { ParticipantInfo } from './session-types.ts';

export interface MetadataInput {
  readonly target: MeetingTarget;
  readonly participants: readonly ParticipantInfo[];
  readonly fileRecordingMetadata: Readonly<Record<string, unknown>>;
  /** Where viewers watch the live stream (a YouTube broadcast id's watch page), if known. */
  readonly liveViewUrl?: string | null;
  readonly scriba: Readonly<Record<string, unknown>>;
}

/** The meeting URL as people know it: no JWT, no hash (the hash carries the recorder's login). */
export function publicMeetingUrl(target: MeetingTarget): string {
  const base = target.baseUrl.replace(/\/+$/, '');
  const tenant = target.tenant ? `/${encodeURIComponent(target.tenant)}` : '';
  return `${base}${tenant}/${encodeURIComponent(target.room)}`;
}

export function buildMetadata(input: MetadataInput): Record<string, unknown> {
  return {
    ...input.fileRecordingMetadata,
    // Our keys last so a request cannot overwrite them.
    meeting_url: publicMeetingUrl(input.target),
    participants: input.participants.map((p) => ({ id: p.id, name: p.name })),
    ...(input.liveViewUrl ? { live_view_url: input.liveViewUrl } : {}),
    scriba: input.scriba,
  };
}

/** Atomic write (temp file + rename): a crash never leaves half a JSON document. */
export async function writeMetadata(path: string, metadata: Record<string, unknown>): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(metadata, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
