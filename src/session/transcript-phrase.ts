/**
 * Pure pieces of the transcription runner: a speech stream's result (final, or interim for live subtitles) →
 * a speaker phrase on the recording's timeline, and the transcript files' names.
 */
import type { SpeakerPhrase, SpeechResult, TranscriptSpeaker } from '../transcription/index.ts';

/** What the runner keeps per speech stream to map its clock (StreamTimeMap implements it). */
export interface StreamClock {
  toRecordingMs(streamSec: number): number | null;
}

const sec = (ms: number): number => Math.round(ms) / 1000;

/** An end time at a run's boundary belongs to the run it ends, not to the next one (after a mute). */
function endOnRecording(clock: StreamClock, startSec: number, endSec: number): number | null {
  const ms = clock.toRecordingMs(Math.max(startSec, endSec - 0.001));
  return ms === null ? null : ms + Math.min(1, (endSec - startSec) * 1000);
}

/**
 * A final, non-empty result as a phrase whose times are already on the recording's timeline (seconds), so
 * `streamOffsetSec` is 0: the tap squeezes gaps (mutes) out of a stream, which a single offset cannot express.
 * Null for interim or empty results, or before the stream has any audio.
 */
export function phraseOnRecording(result: SpeechResult, clock: StreamClock, speaker: TranscriptSpeaker): SpeakerPhrase | null {
  return result.final ? onRecording(result, clock, speaker) : null;
}

/** An interim, non-empty result the same way (`final: false`): a live subtitle only, never the transcript's. */
export function interimOnRecording(result: SpeechResult, clock: StreamClock, speaker: TranscriptSpeaker): SpeakerPhrase | null {
  return result.final ? null : onRecording(result, clock, speaker);
}

function onRecording(result: SpeechResult, clock: StreamClock, speaker: TranscriptSpeaker): SpeakerPhrase | null {
  if (result.text.trim() === '') return null;
  const startMs = clock.toRecordingMs(result.startSec);
  const endMs = endOnRecording(clock, result.startSec, result.endSec);
  if (startMs === null || endMs === null) return null;
  const words = result.words?.flatMap((w) => {
    const s = clock.toRecordingMs(w.startSec);
    const e = endOnRecording(clock, w.startSec, w.endSec);
    return s === null || e === null ? [] : [{ word: w.word, startSec: sec(s), endSec: sec(Math.max(s, e)) }];
  });
  return {
    speaker,
    streamOffsetSec: 0,
    result: {
      final: result.final,
      text: result.text.trim(),
      confidence: result.confidence,
      startSec: sec(startMs),
      endSec: sec(Math.max(startMs, endMs)),
      ...(words ? { words } : {}),
    },
  };
}

/** A speaker's display name: the tap's, else what the session knows, else the id (never empty). */
export function speakerName(id: string, tapName: string | null, known: string | null | undefined): string {
  return tapName?.trim() || known?.trim() || id;
}

export interface TranscriptFiles {
  readonly json: string;
  readonly txt: string;
  readonly vtt: string;
}

/** Next to the recording: `<dir>/<room>_<stamp>.mp4` → `<dir>/<room>_<stamp>.transcript.json|.txt|.vtt`. */
export function transcriptFiles(mediaFile: string): TranscriptFiles {
  const stem = mediaFile.replace(/\.mp4$/, '');
  return { json: `${stem}.transcript.json`, txt: `${stem}.transcript.txt`, vtt: `${stem}.transcript.vtt` };
}
