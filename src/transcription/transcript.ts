/**
 * A meeting's transcript: speaker-attributed phrases on the recording's timeline (seconds from the recording's
 * first frame). Pure assembly from per-speaker final results; the formats are in transcript-formats.ts.
 */
import type { SpeechResult } from './speech-engine.ts';

export interface TranscriptSpeaker {
  readonly id: string;
  readonly name: string;
}

export type TranscriptEvent =
  | {
      readonly kind: 'speech';
      readonly speaker: TranscriptSpeaker;
      readonly startSec: number;
      readonly endSec: number;
      readonly text: string;
      readonly confidence: number | null;
    }
  | { readonly kind: 'join' | 'leave'; readonly speaker: TranscriptSpeaker; readonly startSec: number };

export interface Transcript {
  readonly room: string;
  /** Wall clock of the recording timeline's zero and of its end (epoch ms). */
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly language: string;
  readonly engine: string;
  readonly participants: readonly TranscriptSpeaker[];
  /** Ordered by startSec (then speaker id). */
  readonly events: readonly TranscriptEvent[];
}

export interface SpeakerPhrase {
  readonly speaker: TranscriptSpeaker;
  /** Where the speaker's stream timeline starts on the recording timeline (its first sample). */
  readonly streamOffsetSec: number;
  readonly result: SpeechResult;
}

/** A final result of a speaker's stream as a speech event on the recording timeline; null for interim/empty. */
export function speechEvent(phrase: SpeakerPhrase): TranscriptEvent | null {
  const { result } = phrase;
  const text = result.text.trim();
  if (!result.final || text === '') return null;
  const round = (sec: number): number => Math.round(sec * 1000) / 1000;
  const startSec = round(Math.max(0, phrase.streamOffsetSec + result.startSec));
  const endSec = round(Math.max(startSec, phrase.streamOffsetSec + result.endSec));
  return { kind: 'speech', speaker: phrase.speaker, startSec, endSec, text, confidence: result.confidence };
}

function compareEvents(a: TranscriptEvent, b: TranscriptEvent): number {
  return a.startSec - b.startSec || a.speaker.id.localeCompare(b.speaker.id);
}

export interface TranscriptInput {
  readonly room: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly language: string;
  readonly engine: string;
  /** Everyone seen; speakers of phrases and join/leave events not listed are added. */
  readonly participants: readonly TranscriptSpeaker[];
  readonly phrases: readonly SpeakerPhrase[];
  readonly presence?: ReadonlyArray<Extract<TranscriptEvent, { kind: 'join' | 'leave' }>>;
}

export function assembleTranscript(input: TranscriptInput): Transcript {
  const speech = input.phrases.map(speechEvent).filter((e): e is TranscriptEvent => e !== null);
  const events = [...speech, ...(input.presence ?? [])].sort(compareEvents);
  const participants = new Map<string, TranscriptSpeaker>();
  for (const p of [...input.participants, ...events.map((e) => e.speaker)]) if (!participants.has(p.id)) participants.set(p.id, p);
  return {
    room: input.room,
    startedAtMs: input.startedAtMs,
    endedAtMs: input.endedAtMs,
    language: input.language,
    engine: input.engine,
    participants: [...participants.values()],
    events,
  };
}
