/**
 * Per-participant audio of the meeting, as 16 kHz mono LINEAR16 chunks on the recording's timeline
 * (docs/audio-tap.md). The page does the audio work (src/browser/meeting-page.ts startAudioTap); this class
 * validates what it sends, places chunks on the recording's clock and tells who joined, was renamed or left.
 *
 * A participant's stream ends with their 'participant' { state: 'left' } event; stop(), abort and page death
 * end every stream the same way, then 'end' fires once.
 */
import { EventEmitter } from 'node:events';
import type { AudioTapStartOptions, AudioTapStartResult } from '../browser/page-audio-tap.ts';
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';
import { onAbort } from '../lib/abort.ts';
import { parseTapMessage, samplesIn, type TapMessage, type TapParticipantState } from './pcm-chunk.ts';
import { ParticipantTimeline } from './tap-timeline.ts';

/** What the tap needs of the page object (MeetingPage implements it). */
export interface AudioTapPage {
  startAudioTap(onMessage: (message: unknown) => void, opts?: AudioTapStartOptions): Promise<AudioTapStartResult>;
  stopAudioTap(): Promise<boolean>;
  whenDead(): Promise<unknown>;
}

export interface TapParticipantEvent {
  readonly id: string;
  readonly name: string | null;
  readonly state: TapParticipantState;
}

export interface TapChunk {
  readonly participantId: string;
  readonly name: string | null;
  /** Ms since captureStartedAtMs of the first sample, and just after the last one. */
  readonly startMs: number;
  readonly endMs: number;
  readonly sampleRate: typeof SPEECH_SAMPLE_RATE;
  /** LINEAR16 little-endian mono. */
  readonly pcm: Buffer;
  /** Not sample-for-sample after the previous chunk (first chunk, after a mute or track change). */
  readonly discontinuity: boolean;
}

export type AudioTapEndReason = 'stopped' | 'aborted' | 'page_died';

export interface AudioTapEvents {
  participant: [TapParticipantEvent];
  chunk: [TapChunk];
  /** Something odd but survivable (an invalid message, a participant the page could not tap). */
  warning: [string];
  end: [AudioTapEndReason];
}

export interface AudioTapOptions {
  /** Epoch ms of the recording's zero (RecordingSession's captureStartedAtMs). */
  readonly captureStartedAtMs: number;
  /** Page-side batching; default 200 ms. */
  readonly chunkMs?: number;
  /** Re-anchor a continuous run when the page's clock and the sample count disagree by more (default 40 ms). */
  readonly maxDriftMs?: number;
}

export interface AudioTapStats {
  chunks: number;
  bytes: number;
  rejected: number;
}

interface Tapped {
  name: string | null;
  timeline: ParticipantTimeline;
}

export class AudioTap {
  readonly #page: AudioTapPage;
  readonly #opts: AudioTapOptions;
  readonly #events = new EventEmitter<AudioTapEvents>();
  readonly #participants = new Map<string, Tapped>();
  readonly #stats: AudioTapStats = { chunks: 0, bytes: 0, rejected: 0 };
  #started = false;
  #ended = false;
  #stopping: Promise<void> | null = null;

  constructor(page: AudioTapPage, opts: AudioTapOptions) {
    this.#page = page;
    this.#opts = opts;
  }

  on<K extends keyof AudioTapEvents>(event: K, listener: (...args: AudioTapEvents[K]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }

  off<K extends keyof AudioTapEvents>(event: K, listener: (...args: AudioTapEvents[K]) => void): this {
    this.#events.off(event, listener as never);
    return this;
  }

  /** Participants being tapped now, id → display name. */
  participants(): ReadonlyMap<string, string | null> {
    return new Map([...this.#participants].map(([id, p]) => [id, p.name]));
  }

  stats(): Readonly<AudioTapStats> {
    return { ...this.#stats };
  }

  /**
   * Starts tapping. `{ ok: false }` (never a rejection) means no per-participant audio: use the mixed audio
   * (docs/audio-tap.md). Aborting `signal` stops the tap, like stop().
   */
  async start(opts: { signal?: AbortSignal } = {}): Promise<AudioTapStartResult> {
    const { signal } = opts;
    if (this.#started) return { ok: false, reason: 'already_running', detail: 'start() was already called' };
    this.#started = true;
    if (signal?.aborted) {
      this.#finish('aborted');
      return { ok: false, reason: 'failed', detail: 'aborted before the start' };
    }
    const result = await this.#page.startAudioTap((raw) => this.#onMessage(raw), {
      ...(this.#opts.chunkMs !== undefined ? { chunkMs: this.#opts.chunkMs } : {}),
    });
    if (!result.ok) {
      this.#finish('stopped');
      return result;
    }
    if (this.#stopping) {
      // stop() ran while the page was still starting: the page-side stop found nothing to stop yet.
      await this.#page.stopAudioTap().catch(() => false);
      return result;
    }
    if (signal) {
      const stopListening = onAbort(signal, () => void this.#stop('aborted'));
      this.#events.once('end', stopListening);
    }
    void this.#page.whenDead().then(() => this.#finish('page_died'));
    return result;
  }

  /** Flushes the page's last chunks, ends every participant's stream, emits 'end'. Idempotent; never rejects. */
  stop(): Promise<void> {
    return this.#stop('stopped');
  }

  #stop(reason: AudioTapEndReason): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#started && !this.#ended) await this.#page.stopAudioTap().catch(() => false);
      this.#finish(reason);
    })();
    return this.#stopping;
  }

  #finish(reason: AudioTapEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const [id, p] of [...this.#participants]) this.#left(id, p.name);
    this.#events.emit('end', reason);
  }

  #left(id: string, name: string | null): void {
    if (!this.#participants.delete(id)) return;
    this.#events.emit('participant', { id, name, state: 'left' });
  }

  #onMessage(raw: unknown): void {
    if (this.#ended) return;
    const parsed = parseTapMessage(raw);
    if (!parsed.ok) {
      this.#stats.rejected++;
      this.#events.emit('warning', `invalid audio tap message: ${parsed.error}`);
      return;
    }
    this.#handle(parsed.message);
  }

  #handle(m: TapMessage): void {
    switch (m.type) {
      case 'participant': {
        const known = this.#participants.get(m.id);
        if (m.state === 'left') {
          this.#left(m.id, m.name ?? known?.name ?? null);
        } else if (!known) {
          // A rename of someone unknown is a join: either way the stream starts here.
          this.#participants.set(m.id, { name: m.name, timeline: this.#timeline() });
          this.#events.emit('participant', { id: m.id, name: m.name, state: 'joined' });
        } else if (m.name !== null && m.name !== known.name) {
          known.name = m.name;
          this.#events.emit('participant', { id: m.id, name: m.name, state: 'renamed' });
        }
        return;
      }
      case 'chunk': {
        const p = this.#participants.get(m.id);
        if (!p) {
          this.#stats.rejected++;
          this.#events.emit('warning', `audio for ${m.id}, who is not (or no longer) tapped`);
          return;
        }
        const samples = samplesIn(m.pcm);
        const at = p.timeline.place({ startEpochMs: m.startEpochMs, continuous: m.continuous, samples, sampleRate: m.sampleRate });
        this.#stats.chunks++;
        this.#stats.bytes += m.pcm.length;
        this.#events.emit('chunk', {
          participantId: m.id,
          name: p.name,
          startMs: at.startMs,
          endMs: at.endMs,
          sampleRate: SPEECH_SAMPLE_RATE,
          pcm: m.pcm,
          discontinuity: at.discontinuity,
        });
        return;
      }
      case 'status':
        this.#events.emit('warning', `audio tap: ${m.message}`);
        return;
    }
  }

  #timeline(): ParticipantTimeline {
    return new ParticipantTimeline(
      this.#opts.captureStartedAtMs,
      this.#opts.maxDriftMs !== undefined ? { maxDriftMs: this.#opts.maxDriftMs } : {},
    );
  }
}
