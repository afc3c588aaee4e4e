/**
 * Typed results of the in-page probes (docs/jitsi-recorder.md, "Probes"). A probe that threw in the page is `null`
 * ("unknown"), never a crash; the parsers here turn whatever came back from the page into these shapes.
 */

/** One probe round. */
export interface ProbeSnapshot {
  /** `APP.conference._room.isJoined()`. */
  joined: boolean | null;
  /** Visible participants (`!(p.isHidden() || p.isHiddenFromRecorder())`) + 1 for the recorder; ≤ 1 = empty. */
  participantCount: number | null;
  /** `APP.conference.getStats().bitrate.download` (kbps). */
  downloadKbps: number | null;
  /** `APP.conference.getConnectionState() === 'connected'`. */
  iceConnected: boolean | null;
  /** Every visible participant has audio and video muted (Jigasi/transcriber bots count as muted); true when nobody is there. */
  allMuted: boolean | null;
  /** `APP.conference._room.isE2EEEnabled?.()`; false when this Meet has no E2EE at all. */
  e2ee: boolean | null;
  /** False when the evaluation itself did not answer in time (every other field is then null). */
  pageResponsive: boolean;
}

/** A member of the meeting as recorded in metadata.json. */
export interface MeetingParticipant {
  /** The participant's endpoint id (MUC resource). */
  id: string;
  /** Display name, else the JWT identity's name. */
  name: string | null;
  /** `identity.user['hidden-from-recorder']`: the caller decides whether to list them. */
  hiddenFromRecorder: boolean;
}

export function unknownSnapshot(pageResponsive: boolean): ProbeSnapshot {
  return {
    joined: null,
    participantCount: null,
    downloadKbps: null,
    iceConnected: null,
    allMuted: null,
    e2ee: null,
    pageResponsive,
  };
}

function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

function kbps(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** Validates the raw value returned by the snapshot script; anything malformed becomes unknown. */
export function parseProbeSnapshot(raw: unknown): ProbeSnapshot {
  if (typeof raw !== 'object' || raw === null) return unknownSnapshot(true);
  const r = raw as Record<string, unknown>;
  return {
    joined: bool(r['joined']),
    participantCount: count(r['participantCount']),
    downloadKbps: kbps(r['downloadKbps']),
    iceConnected: bool(r['iceConnected']),
    allMuted: bool(r['allMuted']),
    e2ee: bool(r['e2ee']),
    pageResponsive: true,
  };
}

const MAX_NAME_LENGTH = 256;

/** Validates the raw participant list; null when it is not a list. Entries without a string id are dropped. */
export function parseParticipants(raw: unknown): MeetingParticipant[] | null {
  if (!Array.isArray(raw)) return null;
  const out: MeetingParticipant[] = [];
  const seen = new Set<string>();
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    const id = r['id'];
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue;
    seen.add(id);
    const name = r['name'];
    out.push({
      id,
      name: typeof name === 'string' && name !== '' ? name.slice(0, MAX_NAME_LENGTH) : null,
      hiddenFromRecorder: r['hiddenFromRecorder'] === true,
    });
  }
  return out;
}
