/**
 * Jigasi's live transcription message (docs/jitsi-recorder.md, "Subtitles and transcripts as Jigasi makes them"), which Jitsi Meet shows as subtitles: one final
 * line per message_id. Pure.
 */
import type { SessionPhrase } from './session-types.ts';

export interface TranscriptionResultMessage {
  readonly type: 'transcription-result';
  readonly event: 'SPEECH';
  /** ISO wall clock of the phrase's start. */
  readonly timestamp: string;
  readonly participant: { readonly id: string; readonly name: string };
  readonly transcript: ReadonlyArray<{ readonly text: string; readonly confidence: number }>;
  readonly language: string;
  readonly is_interim: false;
  readonly message_id: string;
  readonly stability: number;
}

export function transcriptionResultMessage(phrase: SessionPhrase, captureStartedAtMs: number): TranscriptionResultMessage {
  return {
    type: 'transcription-result',
    event: 'SPEECH',
    timestamp: new Date(captureStartedAtMs + phrase.startSec * 1000).toISOString(),
    participant: { id: phrase.speaker.id, name: phrase.speaker.name },
    transcript: [{ text: phrase.text, confidence: phrase.confidence ?? 0 }],
    language: phrase.language,
    is_interim: false,
    message_id: phrase.id,
    stability: 1,
  };
}
