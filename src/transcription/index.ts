/**
 * Speech-to-text: one engine interface, pocketsphinx and Google adapters, transcript assembly and formats, WER.
 * The openai, vosk and sherpa engines (openai-engine.ts, vosk-engine.ts, sherpa-engine.ts) are not re-exported
 * here: workers/recorder.ts imports them on demand, so their runtimes load only where they are used.
 */
export {
  SPEECH_SAMPLE_RATE,
  type SpeechEngine,
  type SpeechResult,
  type SpeechStartOptions,
  type SpeechStream,
  type SpeechWord,
} from './speech-engine.ts';
export { SpeechEngineError, speechAborted, type SpeechFailureReason } from './speech-errors.ts';
export { createPocketsphinxEngine, type PocketsphinxEngineOptions } from './pocketsphinx-engine.ts';
// google-engine.ts loads @google-cloud/speech only when an engine is created.
export {
  createGoogleCallClient,
  createGoogleSpeechEngine,
  googleStreamingConfig,
  type GoogleClientOptions,
  type GoogleSpeechOptions,
  type SpeechCallClient,
  type StreamingCall,
} from './google-engine.ts';
export {
  assembleTranscript,
  speechEvent,
  type SpeakerPhrase,
  type Transcript,
  type TranscriptEvent,
  type TranscriptInput,
  type TranscriptSpeaker,
} from './transcript.ts';
export {
  formatClock,
  formatVttTime,
  transcriptToJson,
  transcriptToTxt,
  transcriptToVtt,
  TRANSCRIPT_JSON_VERSION,
} from './transcript-formats.ts';
export { combineWer, normalizeWords, wordErrorRate, type WerResult } from './wer.ts';
export { AudioTap, type AudioTapPage } from './audio-tap.ts';
export { parseTapMessage, pcmRms, wavHeader } from './pcm-chunk.ts';
export { ParticipantTimeline, StreamTimeMap } from './tap-timeline.ts';
