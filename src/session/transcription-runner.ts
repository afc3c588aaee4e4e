/**
 * Transcription of a running session (issue 7): the audio tap's per-participant chunks, one speech stream per
 * participant, final phrases on the recording's timeline as they come, the assembled transcript at stop().
 * Engine failures are logged and end that speaker's stream only: a recording never fails for its transcript.
 */
import { AudioTap, type AudioTapPage } from '../transcription/audio-tap.ts';
import type { TapChunk, TapParticipantEvent } from '../transcription/audio-tap.ts';
import {
  assembleTranscript,
  SPEECH_SAMPLE_RATE,
  StreamTimeMap,
  type SpeakerPhrase,
  type SpeechEngine,
  type SpeechStream,
  type Transcript,
} from '../transcription/index.ts';
import type { Logger } from '../log/logger.ts';
import { phraseOnRecording, speakerName } from './transcript-phrase.ts';

export interface TranscriptionRunnerOptions {
  readonly page: AudioTapPage;
  /** Epoch ms of the recording timeline's zero. */
  readonly captureStartedAtMs: number;
  readonly engine: SpeechEngine;
  readonly language: string;
  readonly room: string;
  /** Hard cancel: streams are discarded (no flush). stop() is the normal end. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Each final phrase, as it arrives. */
  onPhrase?(phrase: SpeakerPhrase): void;
  /** Names the session already knows (the tap may report null before a display name arrives). */
  knownName?(id: string): string | null | undefined;
  /** How long stop() waits for the engines to flush before discarding them. Default 40 s. */
  readonly flushTimeoutMs?: number;
}

interface SpeakerStream {
  readonly id: string;
  name: string;
  readonly stream: SpeechStream;
  readonly clock: StreamTimeMap;
  ended: boolean;
  /** Settles when the stream's results are all read (never rejects). */
  done: Promise<void>;
}

export class TranscriptionRunner {
  readonly #o: TranscriptionRunnerOptions;
  readonly #abort = new AbortController();
  readonly #tap: AudioTap;
  /** The current stream per participant id; every stream ever opened is in #all. */
  readonly #current = new Map<string, SpeakerStream>();
  readonly #all: SpeakerStream[] = [];
  readonly #phrases: SpeakerPhrase[] = [];
  readonly #speakers = new Map<string, { id: string; name: string }>();
  #tapOk = false;
  #stopped: Promise<Transcript> | null = null;

  constructor(options: TranscriptionRunnerOptions) {
    this.#o = options;
    const abort = (): void => this.#abort.abort();
    if (options.signal.aborted) abort();
    else options.signal.addEventListener('abort', abort, { once: true });
    this.#tap = new AudioTap(options.page, { captureStartedAtMs: options.captureStartedAtMs });
    this.#tap.on('participant', (p) => this.#onParticipant(p));
    this.#tap.on('chunk', (c) => this.#onChunk(c));
    this.#tap.on('warning', (w) => options.log.warn(w));
  }

  /** Starts the tap. False (and a warning) when per-participant audio is unavailable: the transcript stays empty. */
  async start(): Promise<boolean> {
    const started = await this.#tap.start({ signal: this.#abort.signal });
    if (!started.ok) {
      // Mixed-audio fallback is not built (docs/transcription.md): say so instead of failing the recording.
      this.#o.log.warn({ reason: started.reason, detail: started.detail }, 'audio tap unavailable: this session produces an empty transcript');
      return false;
    }
    this.#tapOk = true;
    this.#o.log.info({ engine: this.#o.engine.name, language: this.#o.language }, 'transcription started');
    return true;
  }

  get phraseCount(): number {
    return this.#phrases.length;
  }

  /** Ends the tap and every stream (engines flush their last phrase), then assembles. Idempotent. */
  stop(endedAtMs: number): Promise<Transcript> {
    this.#stopped ??= (async () => {
      await this.#tap.stop();
      for (const s of this.#all) this.#end(s);
      const timeout = setTimeout(() => {
        this.#o.log.warn('speech engines did not flush in time; discarding their last audio');
        this.#abort.abort();
      }, this.#o.flushTimeoutMs ?? 40_000);
      try {
        await Promise.all(this.#all.map((s) => s.done));
      } finally {
        clearTimeout(timeout);
      }
      if (this.#tapOk) this.#o.log.info({ phrases: this.#phrases.length, speakers: this.#all.length }, 'transcription stopped');
      return assembleTranscript({
        room: this.#o.room,
        startedAtMs: this.#o.captureStartedAtMs,
        endedAtMs: Math.max(endedAtMs, this.#o.captureStartedAtMs),
        language: this.#o.language,
        engine: this.#o.engine.name,
        participants: [...this.#speakers.values()],
        phrases: this.#phrases,
      });
    })();
    return this.#stopped;
  }

  #onParticipant(p: TapParticipantEvent): void {
    const current = this.#current.get(p.id);
    if (p.state === 'left') {
      if (current) this.#end(current);
      this.#current.delete(p.id);
      return;
    }
    const name = speakerName(p.id, p.name, this.#o.knownName?.(p.id));
    this.#speakers.set(p.id, { id: p.id, name });
    if (current) current.name = name;
  }

  #onChunk(c: TapChunk): void {
    // Audio from before the recording's zero has no place on its timeline.
    if (c.startMs < 0) return;
    const s = this.#current.get(c.participantId) ?? this.#open(c.participantId, c.name);
    if (s === null || s.ended) return;
    if (c.name !== null && c.name !== s.name) s.name = speakerName(s.id, c.name, null);
    s.clock.add({ startMs: c.startMs, endMs: c.endMs, discontinuity: c.discontinuity }, c.pcm.length / 2, c.sampleRate);
    s.stream.write(c.pcm);
  }

  #open(id: string, tapName: string | null): SpeakerStream | null {
    let stream: SpeechStream;
    try {
      stream = this.#o.engine.start({ language: this.#o.language, sampleRateHertz: SPEECH_SAMPLE_RATE, signal: this.#abort.signal, label: id });
    } catch (err) {
      this.#o.log.error({ err, participant: id }, 'could not start a speech stream; this speaker is not transcribed');
      return null;
    }
    const name = speakerName(id, tapName, this.#o.knownName?.(id));
    if (!this.#speakers.has(id)) this.#speakers.set(id, { id, name });
    const clock = new StreamTimeMap();
    const s: SpeakerStream = { id, name, stream, clock, ended: false, done: Promise.resolve() };
    s.done = this.#consume(s);
    this.#current.set(id, s);
    this.#all.push(s);
    return s;
  }

  async #consume(s: SpeakerStream): Promise<void> {
    try {
      for await (const result of s.stream.results) {
        const phrase = phraseOnRecording(result, s.clock, { id: s.id, name: s.name });
        if (phrase === null) continue;
        this.#phrases.push(phrase);
        try {
          this.#o.onPhrase?.(phrase);
        } catch (err) {
          this.#o.log.warn({ err }, 'phrase listener failed');
        }
      }
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#o.log.error({ err, participant: s.id }, 'speech stream failed; this speaker is no longer transcribed');
    }
  }

  #end(s: SpeakerStream): void {
    if (s.ended) return;
    s.ended = true;
    // Rejections surface through `results` (logged in #consume).
    s.stream.end().catch(() => undefined);
  }
}
