/**
 * Live subtitles from interim results: Jitsi Meet shows one line per message id and replaces it with each
 * message of that id, so a speaker's interims and the final of the same phrase share one id. Interims go at
 * most every `minIntervalMs` per speaker (Vosk sends a partial per 0.25 s chunk; the room need not see each).
 * A skipped interim is not sent later: the next one, or the final, carries newer text. An utterance can also
 * end with no final text (noise, a stream ending): its line is then withdrawn under the same id, since only a
 * message of that id replaces it in the room. Pure: time is given.
 */
import { randomUUID } from 'node:crypto';

export interface SubtitleThrottleOptions {
  /** Default 500 ms. */
  readonly minIntervalMs?: number;
  /** Default randomUUID. */
  readonly newId?: () => string;
}

interface Speaking {
  readonly id: string;
  text: string;
}

export class SubtitleThrottle {
  readonly #minIntervalMs: number;
  readonly #newId: () => string;
  /** Per speaker id: the phrase being spoken, once an interim of it was sent. */
  readonly #speaking = new Map<string, Speaking>();
  /** Per speaker id: when its last interim went, across phrases. */
  readonly #sentAtMs = new Map<string, number>();

  constructor(options: SubtitleThrottleOptions = {}) {
    this.#minIntervalMs = options.minIntervalMs ?? 500;
    this.#newId = options.newId ?? randomUUID;
  }

  /** An interim hypothesis: the message id to send it under, or null to skip it (empty, too soon, unchanged). */
  interim(speakerId: string, text: string, nowMs: number): string | null {
    const t = text.trim();
    if (t === '') return null;
    const s = this.#speaking.get(speakerId);
    if (t === s?.text) return null;
    const last = this.#sentAtMs.get(speakerId);
    if (last !== undefined && nowMs - last < this.#minIntervalMs) return null;
    this.#sentAtMs.set(speakerId, nowMs);
    if (s !== undefined) {
      s.text = t;
      return s.id;
    }
    const id = this.#newId();
    this.#speaking.set(speakerId, { id, text: t });
    return id;
  }

  /** The final of the speaker's phrase: the id its interims went under (so it replaces them), else a new one. */
  final(speakerId: string): string {
    const s = this.#speaking.get(speakerId);
    this.#speaking.delete(speakerId);
    return s?.id ?? this.#newId();
  }

  /**
   * The speaker's utterance ended without a final: the id its interims went under, to clear that line at once
   * (never throttled), else null (no line open, nothing to clear).
   */
  withdraw(speakerId: string): string | null {
    const s = this.#speaking.get(speakerId);
    this.#speaking.delete(speakerId);
    return s?.id ?? null;
  }
}
