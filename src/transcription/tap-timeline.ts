/**
 * Times of tapped audio on the recording's timeline (ms since captureStartedAtMs). Pure.
 *
 * The page stamps each chunk with the epoch time of its first sample, read from the AudioContext's clock, which
 * jitters by a few ms from chunk to chunk. Within a continuous run the sample count is the better clock, so
 * a run is anchored once and then advanced by its samples; it is re-anchored only when the page says there was
 * a gap (mute, track change) or the two clocks drift apart by more than `maxDriftMs`.
 */

export const DEFAULT_MAX_DRIFT_MS = 40;

export interface TimelineChunk {
  readonly startEpochMs: number;
  readonly continuous: boolean;
  readonly samples: number;
  readonly sampleRate: number;
}

export interface TimelinePlacement {
  /** On the recording's timeline; never before the end of the participant's previous chunk. */
  readonly startMs: number;
  readonly endMs: number;
  /** True when this chunk does not follow the previous one sample for sample (first chunk, gap, re-anchor). */
  readonly discontinuity: boolean;
}

/** One participant's chunks → recording times. */
export class ParticipantTimeline {
  readonly #captureStartedAtMs: number;
  readonly #maxDriftMs: number;
  #endMs: number | null = null;

  constructor(captureStartedAtMs: number, opts: { maxDriftMs?: number } = {}) {
    this.#captureStartedAtMs = captureStartedAtMs;
    this.#maxDriftMs = opts.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
  }

  place(chunk: TimelineChunk): TimelinePlacement {
    const stamped = chunk.startEpochMs - this.#captureStartedAtMs;
    const durationMs = (chunk.samples * 1000) / chunk.sampleRate;
    const prevEnd = this.#endMs;
    let startMs: number;
    let discontinuity: boolean;
    if (prevEnd !== null && chunk.continuous && Math.abs(stamped - prevEnd) <= this.#maxDriftMs) {
      startMs = prevEnd;
      discontinuity = false;
    } else {
      // Clock jitter must not make a new run overlap the previous one.
      startMs = prevEnd === null ? stamped : Math.max(stamped, prevEnd);
      discontinuity = true;
    }
    this.#endMs = startMs + durationMs;
    return { startMs, endMs: this.#endMs, discontinuity };
  }
}

/**
 * A speech stream's own clock (seconds of audio written to it) → the recording's timeline, for a stream fed
 * a participant's chunks back to back (gaps squeezed out). Record each discontinuous chunk with `mark` before
 * writing it; `toRecordingMs` then maps result times (SpeechResult.startSec/endSec).
 */
export class StreamTimeMap {
  readonly #marks: Array<{ streamSec: number; recordingMs: number }> = [];
  #writtenSec = 0;

  /** Call for every chunk, in the order written. */
  add(placement: TimelinePlacement, samples: number, sampleRate: number): void {
    if (placement.discontinuity || this.#marks.length === 0)
      this.#marks.push({ streamSec: this.#writtenSec, recordingMs: placement.startMs });
    this.#writtenSec += samples / sampleRate;
  }

  get writtenSec(): number {
    return this.#writtenSec;
  }

  /** Null before anything was added. Times inside a run map linearly from the run's anchor. */
  toRecordingMs(streamSec: number): number | null {
    let mark = this.#marks[0];
    if (mark === undefined) return null;
    // Binary search for the last mark at or before streamSec (marks are sorted by streamSec).
    let lo = 0;
    let hi = this.#marks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#marks[mid]!.streamSec <= streamSec) lo = mid;
      else hi = mid - 1;
    }
    mark = this.#marks[lo]!;
    return mark.recordingMs + (streamSec - mark.streamSec) * 1000;
  }
}
