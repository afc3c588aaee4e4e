/**
 * The transcript journal: while a session transcribes, each final phrase is appended as one JSON line to a
 * local file that goes up to the store as it grows (cut at line boundaries, checkpointed in the job like the
 * recording), so that a worker that recovers the job after this one died can rebuild the transcript of what
 * was said so far. Pure: names, lines, and the transcript rebuilt from the journal's text.
 */
import { sanitizeSessionId } from '../domain/output-naming.ts';
import type { SessionPhrase } from '../session/session-types.ts';
import { assembleTranscript, type Transcript } from '../transcription/index.ts';

const VERSION = 1;

/** The first line: what the transcript needs besides its phrases. */
export interface JournalHeader {
  readonly room: string;
  /** Wall clock of the phrases' timeline zero (the capture start), epoch ms. */
  readonly startedAtMs: number;
  readonly language: string;
  readonly engine: string;
}

/** The journal's store key, and the keys the salvaged transcript is stored under. */
export function journalKey(sessionId: string, segment: number): string {
  return `${sanitizeSessionId(sessionId)}/segment-${segment}.transcript.jsonl`;
}

export function salvagedTranscriptKeys(sessionId: string, segment: number): { json: string; txt: string; vtt: string } {
  const base = `${sanitizeSessionId(sessionId)}/segment-${segment}.transcript`;
  return { json: `${base}.json`, txt: `${base}.txt`, vtt: `${base}.vtt` };
}

export function headerLine(h: JournalHeader): string {
  return `${JSON.stringify({ v: VERSION, ...h })}\n`;
}

export function phraseLine(p: SessionPhrase): string {
  const { id, speaker, startSec, endSec, text, confidence, language } = p;
  return `${JSON.stringify({ id, speaker: { id: speaker.id, name: speaker.name }, startSec, endSec, text, confidence, language })}\n`;
}

const str = (v: unknown, max = 10_000): string | null => (typeof v === 'string' ? v.slice(0, max) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The transcript a journal holds (written by another worker, maybe another version: every line is checked,
 * and one that makes no sense is skipped); null without a usable header.
 */
export function transcriptFromJournal(text: string): { transcript: Transcript; phrases: number } | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = parseLine(lines[0] ?? '');
  const room = str(head?.['room'], 500);
  const startedAtMs = num(head?.['startedAtMs']);
  if (head === null || head['v'] !== VERSION || room === null || startedAtMs === null) return null;
  const phrases = lines.slice(1).flatMap((line) => {
    const p = parseLine(line);
    const speaker = p?.['speaker'] as Record<string, unknown> | undefined;
    const id = str(speaker?.['id'], 200);
    const text = str(p?.['text']);
    const startSec = num(p?.['startSec']);
    const endSec = num(p?.['endSec']);
    if (id === null || text === null || startSec === null || endSec === null) return [];
    const confidence = num(p?.['confidence']);
    return [
      {
        speaker: { id, name: str(speaker?.['name'], 200) ?? id },
        streamOffsetSec: 0,
        result: { final: true, text, confidence, startSec, endSec: Math.max(startSec, endSec) },
      },
    ];
  });
  const endSec = phrases.reduce((m, p) => Math.max(m, p.result.endSec), 0);
  const transcript = assembleTranscript({
    room,
    startedAtMs,
    endedAtMs: startedAtMs + Math.round(endSec * 1000),
    language: str(head['language'], 50) ?? 'und',
    engine: str(head['engine'], 100) ?? 'unknown',
    participants: [],
    phrases,
  });
  return { transcript, phrases: phrases.length };
}
