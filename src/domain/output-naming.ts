/** File naming as Jibri does it (docs/jitsi-recorder.md, "Files"), made safe for any room name. */

const MAX_FILE_NAME = 125;

/** Session ids become directory names: only [A-Za-z0-9_-] survive. */
export function sanitizeSessionId(sessionId: string): string {
  const clean = sessionId.replace(/[^A-Za-z0-9_-]/g, '_');
  return clean.length > 0 ? clean.slice(0, 128) : 'session';
}

/** Letters and digits of any script stay (rooms are often non-English); everything else becomes '_'. */
export function sanitizeRoomForFile(room: string): string {
  const clean = room.normalize('NFC').replace(/[^\p{L}\p{N}_-]/gu, '_');
  return clean.length > 0 ? clean : 'room';
}

/** UTC `yyyy-MM-dd-HH-mm-ss`; UTC so names sort the same on every worker whatever its time zone. */
export function formatFileTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}-${p(date.getUTCMinutes())}-${p(date.getUTCSeconds())}`
  );
}

/** `<room>_<timestamp>.<ext>`, the room part shortened so the whole name fits 125 characters. */
export function recordingFileName(room: string, startedAt: Date, ext = 'mp4'): string {
  const suffix = `_${formatFileTimestamp(startedAt)}.${ext}`;
  const roomPart = [...sanitizeRoomForFile(room)].slice(0, MAX_FILE_NAME - suffix.length).join('');
  return roomPart + suffix;
}

export interface RecordingPaths {
  readonly sessionDir: string;
  readonly mediaFile: string;
  readonly metadataFile: string;
}

export function recordingPaths(recordingsDir: string, sessionId: string, room: string, startedAt: Date): RecordingPaths {
  const base = recordingsDir.replace(/\/+$/, '');
  const sessionDir = `${base}/${sanitizeSessionId(sessionId)}`;
  return {
    sessionDir,
    mediaFile: `${sessionDir}/${recordingFileName(room, startedAt)}`,
    metadataFile: `${sessionDir}/metadata.json`,
  };
}
