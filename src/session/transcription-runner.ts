/**
 * Transcription of a running session: the audio tap's per-participant chunks, one speech stream per
 * participant, final phrases on the recording's timeline as they come, the assembled transcript at stop().
 * Engine failures are logged and end that speaker's stream only: a recording never fails for its transcript.
 * When the tap cannot start, the session's mixed audio (its PulseAudio monitor, through a small ffmpeg) is
 * transcribed instead as one pseudo-speaker, `mixed` / "Meeting" (docs/transcription.md).
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
import { buildMixedAudioPcmCommand, type FfmpegHandle, startFfmpeg } from '../ffmpeg/index.ts';
import { PcmPlacer } from '../transcription/pcm-placer.ts';
import { onAbort, settlesWithin } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import { interimOnRecording, phraseOnRecording, speakerName } from './transcript-phrase.ts';

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
  /** Each interim hypothesis (`result.final` false), for live subtitles: never part of the transcript. */
  onInterim?(phrase: SpeakerPhrase): void;
  /**
   * The utterance of the interims given since the speaker's last final ended without one (an empty final, a
   * final off the recording, the stream's end or failure): whatever showed them is to be withdrawn. `last` is
   * the latest of those interims.
   */
  onWithdraw?(last: SpeakerPhrase): void;
  /** Names the session already knows (the tap may report null before a display name arrives). */
  knownName?(id: string): string | null | undefined;
  /** How long stop() waits for the engines to flush before discarding them. Default 40 s. */
  readonly flushTimeoutMs?: number;
  /** The session's mixed audio, transcribed when the tap cannot start. Absent: an empty transcript then. */
  readonly mixedAudio?: MixedAudioSource;
  /** Recording-timeline clock for the mixed audio (tests). Default Date.now. */
  readonly now?: () => number;
}

export interface MixedAudioSource {
  /** PulseAudio source, e.g. 'scriba.monitor'. */
  readonly pulseSource: string;
  /** The capture's ffmpeg env (PULSE_SERVER, …). */
  readonly env: NodeJS.ProcessEnv;
  /** Default startFfmpeg (tests inject a fake). */
  readonly start?: typeof startFfmpeg;
}

/** The pseudo-speaker of the mixed-audio fallback. */
export const MIXED_SPEAKER = { id: 'mixed', name: 'Meeting' } as const;

interface SpeakerStream {
  readonly id: string;
  name: string;
  readonly stream: SpeechStream;
  readonly clock: StreamTimeMap;
  ended: boolean;
  /** The last interim given since the last final: an utterance still open on the subtitles. */
  shown: SpeakerPhrase | null;
  /** Settles when the stream's results are all read (never rejects). */
  done: Promise<void>;
}

const LISTENER_NAMES = { onInterim: 'interim', onPhrase: 'phrase', onWithdraw: 'withdraw' } as const;

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
  #mixed: { readonly ffmpeg: FfmpegHandle; readonly drained: Promise<void> } | null = null;
  #stopped: Promise<Transcript> | null = null;

  constructor(options: TranscriptionRunnerOptions) {
    this.#o = options;
    onAbort(options.signal, () => this.#abort.abort());
    this.#tap = new AudioTap(options.page, { captureStartedAtMs: options.captureStartedAtMs });
    this.#tap.on('participant', (p) => this.#onParticipant(p));
    this.#tap.on('chunk', (c) => this.#onChunk(c));
    this.#tap.on('warning', (w) => options.log.warn(w));
  }

  /** Starts the tap, else (with a warning) the mixed-audio fallback. False when neither runs: the transcript stays empty. */
  async start(): Promise<boolean> {
    const started = await this.#tap.start({ signal: this.#abort.signal });
    if (!started.ok) {
      const why = { reason: started.reason, detail: started.detail };
      if (!this.#o.mixedAudio) {
        this.#o.log.warn(why, 'audio tap unavailable and no mixed audio: this session produces an empty transcript');
        return false;
      }
      this.#o.log.warn(why, `audio tap unavailable: falling back to the mixed meeting audio, unattributed (speaker "${MIXED_SPEAKER.id}")`);
      return this.#startMixed(this.#o.mixedAudio);
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
      if (this.#mixed) {
        // SIGINT ends the pipe; its last bytes are written before the stream is ended below.
        await this.#mixed.ffmpeg.stop();
        await this.#mixed.drained;
      }
      for (const s of this.#all) this.#end(s);
      const flushed = Promise.all(this.#all.map((s) => s.done));
      if (!(await settlesWithin(flushed, this.#o.flushTimeoutMs ?? 40_000))) {
        this.#o.log.warn('speech engines did not flush in time; discarding their last audio');
        this.#abort.abort();
        await flushed;
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

  /** One ffmpeg reading the Pulse monitor, one speech stream; a continuous run anchored at its first read. */
  #startMixed(source: MixedAudioSource): boolean {
    const s = this.#open(MIXED_SPEAKER.id, MIXED_SPEAKER.name);
    if (s === null) return false;
    const now = this.#o.now ?? Date.now;
    let ffmpeg: FfmpegHandle;
    try {
      ffmpeg = (source.start ?? startFfmpeg)(buildMixedAudioPcmCommand({ pulseSource: source.pulseSource }), {
        env: source.env,
        stdout: 'pipe',
        signal: this.#abort.signal,
        killGraceMs: 3000,
      });
    } catch (err) {
      this.#o.log.error({ err }, 'could not start the mixed-audio ffmpeg; this session produces an empty transcript');
      this.#end(s);
      return false;
    }
    const placer = new PcmPlacer(SPEECH_SAMPLE_RATE);
    const out = ffmpeg.stdout;
    const drained = new Promise<void>((resolve) => {
      if (out === null) return resolve();
      out.on('data', (bytes: Buffer) => {
        const placed = placer.place(bytes, now() - this.#o.captureStartedAtMs);
        if (placed === null || s.ended) return;
        s.clock.add(placed, placed.samples, SPEECH_SAMPLE_RATE);
        s.stream.write(placed.pcm);
      });
      out.once('end', () => resolve());
      out.once('close', () => resolve());
      out.once('error', () => resolve());
    });
    void ffmpeg.exited.then((exit) => {
      if (!exit.stoppedByUs)
        this.#o.log.warn(
          { code: exit.code, signal: exit.signal, lastError: exit.lastError },
          'the mixed-audio ffmpeg ended early; the transcript stops there',
        );
    });
    this.#mixed = { ffmpeg, drained };
    this.#tapOk = true;
    this.#o.log.info({ engine: this.#o.engine.name, language: this.#o.language, source: 'mixed' }, 'transcription started');
    return true;
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
      stream = this.#o.engine.start({
        language: this.#o.language,
        sampleRateHertz: SPEECH_SAMPLE_RATE,
        signal: this.#abort.signal,
        label: id,
      });
    } catch (err) {
      this.#o.log.error({ err, participant: id }, 'could not start a speech stream; this speaker is not transcribed');
      return null;
    }
    const name = speakerName(id, tapName, this.#o.knownName?.(id));
    if (!this.#speakers.has(id)) this.#speakers.set(id, { id, name });
    const clock = new StreamTimeMap();
    const s: SpeakerStream = { id, name, stream, clock, ended: false, shown: null, done: Promise.resolve() };
    s.done = this.#consume(s);
    this.#current.set(id, s);
    this.#all.push(s);
    return s;
  }

  async #consume(s: SpeakerStream): Promise<void> {
    try {
      for await (const result of s.stream.results) {
        if (!result.final) {
          // Nobody shows interims: nothing to place, nothing to withdraw later.
          if (this.#o.onInterim === undefined) continue;
          const interim = interimOnRecording(result, s.clock, { id: s.id, name: s.name });
          if (interim === null) continue;
          s.shown = interim;
          this.#notify('onInterim', interim);
          continue;
        }
        const phrase = phraseOnRecording(result, s.clock, { id: s.id, name: s.name });
        if (phrase === null) {
          this.#withdraw(s);
          continue;
        }
        s.shown = null;
        this.#phrases.push(phrase);
        this.#notify('onPhrase', phrase);
      }
    } catch (err) {
      if (!this.#abort.signal.aborted)
        this.#o.log.error({ err, participant: s.id }, 'speech stream failed; this speaker is no longer transcribed');
    }
    // No final can follow now.
    this.#withdraw(s);
  }

  /** The stream's open utterance ended without a final: what showed its interims withdraws them. */
  #withdraw(s: SpeakerStream): void {
    if (s.shown === null) return;
    const last = s.shown;
    s.shown = null;
    this.#notify('onWithdraw', last);
  }

  /** Calls a listener; one that throws is logged and the stream goes on. */
  #notify(listener: 'onInterim' | 'onPhrase' | 'onWithdraw', phrase: SpeakerPhrase): void {
    try {
      this.#o[listener]?.(phrase);
    } catch (err) {
      this.#o.log.warn({ err }, `${LISTENER_NAMES[listener]} listener failed`);
    }
  }

  #end(s: SpeakerStream): void {
    if (s.ended) return;
    s.ended = true;
    // Rejections surface through `results` (logged in #consume).
    s.stream.end().catch(() => undefined);
  }
}
