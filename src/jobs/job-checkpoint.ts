/**
 * What a job's lease holder records in the queue so that whoever recovers the job after it died can finish
 * what was already captured (docs/operations.md, "When a worker dies"): the segment being recorded, the
 * upload checkpoint of its file (store key, upload id, parts, tail objects: no secrets, no local paths), that
 * of its transcript journal, the capture start, and how earlier segments ended. Pure.
 */

/** How one earlier segment of the session ended, as later events and metadata name it. */
export interface SegmentNote {
  readonly segment: number;
  readonly status: 'uploaded' | 'lost';
  /** Its object key when uploaded. */
  readonly key: string | null;
  /** Cut short by the loss of its worker. */
  readonly partial: boolean;
  /** Why it ended early or was lost, e.g. 'worker_lost'; null for a segment that ended normally. */
  readonly reason: string | null;
}

export interface JobCheckpoint {
  readonly version: 1;
  /** The segment being recorded (1 for the first recording of the session). */
  readonly segment: number;
  readonly earlier: readonly SegmentNote[];
  /** The recording's upload (src/storage/upload-checkpoint.ts, checked on use), or null before its first save. */
  readonly upload: unknown;
  /** When this segment's capture started (ms since the epoch), or null before it did. */
  readonly captureStartedAtMs: number | null;
  /** The upload of this segment's transcript journal (src/jobs/transcript-journal.ts), or null: none yet. */
  readonly transcript: unknown;
}

export const FIRST_SEGMENT: JobCheckpoint = {
  version: 1,
  segment: 1,
  earlier: [],
  upload: null,
  captureStartedAtMs: null,
  transcript: null,
};

const isSegment = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 1000;

function parseNote(v: unknown): SegmentNote | null {
  if (typeof v !== 'object' || v === null) return null;
  const n = v as Record<string, unknown>;
  if (!isSegment(n['segment']) || (n['status'] !== 'uploaded' && n['status'] !== 'lost')) return null;
  return {
    segment: n['segment'],
    status: n['status'],
    key: typeof n['key'] === 'string' ? n['key'] : null,
    partial: n['partial'] === true,
    reason: typeof n['reason'] === 'string' ? n['reason'].slice(0, 200) : null,
  };
}

/** A checkpoint read back from the queue (another version may have written it); null when absent or unusable. */
export function parseJobCheckpoint(value: unknown): JobCheckpoint | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v['version'] !== 1 || !isSegment(v['segment'])) return null;
  const earlier = Array.isArray(v['earlier']) ? v['earlier'].map(parseNote).filter((n): n is SegmentNote => n !== null) : [];
  const started = v['captureStartedAtMs'];
  return {
    version: 1,
    segment: v['segment'],
    earlier,
    upload: v['upload'] ?? null,
    captureStartedAtMs: typeof started === 'number' && Number.isFinite(started) ? started : null,
    transcript: v['transcript'] ?? null,
  };
}

/**
 * After the segment in `cp` was dealt with (`note`, or null when it left nothing at all): the checkpoint the
 * next recording starts from. A segment that left nothing keeps its number.
 */
export function nextSegment(cp: JobCheckpoint, note: SegmentNote | null): JobCheckpoint {
  if (note === null) return { ...cp, upload: null, captureStartedAtMs: null, transcript: null };
  return { version: 1, segment: cp.segment + 1, earlier: [...cp.earlier, note], upload: null, captureStartedAtMs: null, transcript: null };
}

/** What events and metadata.json say about the session's segments; null for a session of one segment. */
export function segmentFacts(cp: JobCheckpoint): { readonly segment: number; readonly earlier: readonly SegmentNote[] } | null {
  return cp.segment === 1 && cp.earlier.length === 0 ? null : { segment: cp.segment, earlier: cp.earlier };
}
