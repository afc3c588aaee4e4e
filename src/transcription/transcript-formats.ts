/**
 * The transcript's files. Pure: Transcript in, file text out.
 * - JSON: after Jigasi's final transcript (room_name, start_time, end_time, participants, events with
 *   SPEECH/JOIN/LEAVE), plus each event's start/end in seconds on the recording's timeline and confidence.
 * - TXT: `[hh:mm:ss] Name: text`, one line per phrase (time from the recording's start, floored).
 * - WebVTT: captions aligned with the recording file, one voice-tagged cue per phrase (`<v Name>`); phrases
 *   too long for two 42-character lines become several cues, their time shared in proportion to length.
 */
import type { Transcript, TranscriptEvent } from './transcript.ts';

export const TRANSCRIPT_JSON_VERSION = 1;

const iso = (ms: number): string => new Date(ms).toISOString();

export function transcriptToJson(t: Transcript): string {
  const events = t.events.map((e) => {
    const base = {
      event: e.kind.toUpperCase(),
      participant: { id: e.speaker.id, name: e.speaker.name },
      start_sec: e.startSec,
    };
    const timestamp = iso(t.startedAtMs + Math.round(e.startSec * 1000));
    if (e.kind !== 'speech') return { ...base, timestamp };
    return { ...base, end_sec: e.endSec, timestamp, text: e.text, confidence: e.confidence };
  });
  const doc = {
    version: TRANSCRIPT_JSON_VERSION,
    room_name: t.room,
    start_time: iso(t.startedAtMs),
    end_time: iso(t.endedAtMs),
    duration_sec: Math.round(t.endedAtMs - t.startedAtMs) / 1000,
    language: t.language,
    engine: t.engine,
    participants: t.participants.map((p) => ({ id: p.id, name: p.name })),
    events,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** hh:mm:ss, floored to the second. */
export function formatClock(sec: number): string {
  const whole = Math.max(0, Math.floor(sec));
  return `${pad(Math.floor(whole / 3600))}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}`;
}

/** hh:mm:ss.mmm (WebVTT), rounded to the millisecond. */
export function formatVttTime(sec: number): string {
  const ms = Math.max(0, Math.round(sec * 1000));
  const s = Math.floor(ms / 1000);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(ms % 1000, 3)}`;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function txtLine(e: TranscriptEvent): string {
  const name = oneLine(e.speaker.name);
  if (e.kind === 'speech') return `[${formatClock(e.startSec)}] ${name}: ${oneLine(e.text)}`;
  return `[${formatClock(e.startSec)}] ${name} ${e.kind === 'join' ? 'joined' : 'left'}`;
}

export function transcriptToTxt(t: Transcript): string {
  const header = `Transcript of ${t.room}, ${iso(t.startedAtMs)} to ${iso(t.endedAtMs)}`;
  return `${[header, '', ...t.events.map(txtLine)].join('\n')}\n`;
}

export const VTT_LINE_CHARS = 42;
export const VTT_CUE_LINES = 2;

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
export function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const escapeVtt = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Cue {
  readonly startSec: number;
  readonly endSec: number;
  readonly voice: string;
  readonly lines: readonly string[];
}

function cuesOf(e: Extract<TranscriptEvent, { kind: 'speech' }>): Cue[] {
  const lines = wrapWords(oneLine(e.text).split(' '), VTT_LINE_CHARS);
  const groups: string[][] = [];
  for (let i = 0; i < lines.length; i += VTT_CUE_LINES) groups.push(lines.slice(i, i + VTT_CUE_LINES));
  const total = groups.reduce((n, g) => n + g.join(' ').length, 0);
  const span = Math.max(e.endSec - e.startSec, 0.001 * groups.length);
  const cues: Cue[] = [];
  let at = e.startSec;
  let chars = 0;
  for (const group of groups) {
    chars += group.join(' ').length;
    const end = e.startSec + (span * chars) / total;
    cues.push({ startSec: at, endSec: end, voice: oneLine(e.speaker.name), lines: group });
    at = end;
  }
  return cues;
}

export function transcriptToVtt(t: Transcript): string {
  const out = ['WEBVTT', ''];
  let n = 0;
  for (const e of t.events) {
    if (e.kind !== 'speech') continue;
    for (const cue of cuesOf(e)) {
      n += 1;
      const [first = '', ...rest] = cue.lines.map(escapeVtt);
      out.push(
        String(n),
        `${formatVttTime(cue.startSec)} --> ${formatVttTime(cue.endSec)}`,
        `<v ${escapeVtt(cue.voice)}>${first}`,
        ...rest,
        '',
      );
    }
  }
  return `${out.join('\n')}`;
}
