/**
 * Jigasi's live transcription message (docs/jitsi-recorder.md, "Subtitles and transcripts as Jigasi makes them"), which Jitsi Meet shows as subtitles: one
 * line per message_id, which each message of that id replaces: interims (`is_interim`, shown as unstable text) until the
 * final. An utterance whose interims were shown but which ended with no final text is closed by a final with
 * empty text under its id: Jitsi Meet then drops the interim text (its stage caption shows the bare name until
 * its usual 3 s clearing; a captions-history entry becomes an empty final instead of a dangling interim). Pure.
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
  readonly is_interim: boolean;
  readonly message_id: string;
  readonly stability: number;
}

/** `interim`: a hypothesis the final of the same message_id replaces (stability 0: engines here give none). */
export function transcriptionResultMessage(phrase: SessionPhrase, captureStartedAtMs: number, interim = false): TranscriptionResultMessage {
  return {
    type: 'transcription-result',
    event: 'SPEECH',
    timestamp: new Date(captureStartedAtMs + phrase.startSec * 1000).toISOString(),
    participant: { id: phrase.speaker.id, name: phrase.speaker.name },
    transcript: [{ text: phrase.text, confidence: phrase.confidence ?? 0 }],
    language: phrase.language,
    is_interim: interim,
    message_id: phrase.id,
    stability: interim ? 0 : 1,
  };
}

/**
 * The final with no text that closes a line of interims whose utterance gave none (never a phrase of the
 * transcript): only a message of the same id replaces a line in the room, and no interim can close it.
 */
export function clearingMessage(line: Omit<SessionPhrase, 'text'>, captureStartedAtMs: number): TranscriptionResultMessage {
  return transcriptionResultMessage({ ...line, text: '', confidence: null }, captureStartedAtMs);
}
