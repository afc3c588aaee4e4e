/**
 * Pure: places a raw LINEAR16 byte stream (the mixed-audio fallback's ffmpeg stdout) on the recording's
 * timeline. Pipe reads can split a sample, so an odd byte waits for the next read. The run is anchored once,
 * at the first read: its arrival time minus the audio it holds (so the first sample is when it was heard,
 * give or take PulseAudio's buffering), then advanced by the sample count: one continuous run.
 */
import type { TimelinePlacement } from './tap-timeline.ts';

export interface PlacedPcm extends TimelinePlacement {
  /** Whole samples only, LINEAR16 little-endian mono. */
  readonly pcm: Buffer;
  readonly samples: number;
}

export class PcmPlacer {
  readonly #sampleRate: number;
  #carry: Buffer = Buffer.alloc(0);
  #anchorMs: number | null = null;
  #samples = 0;

  constructor(sampleRate: number) {
    this.#sampleRate = sampleRate;
  }

  /** `arrivedAtMs`: when the bytes were read, in recording ms. Null while there is not one whole sample. */
  place(bytes: Buffer, arrivedAtMs: number): PlacedPcm | null {
    const all = this.#carry.length > 0 ? Buffer.concat([this.#carry, bytes]) : bytes;
    const whole = all.length - (all.length % 2);
    this.#carry = Buffer.from(all.subarray(whole));
    if (whole === 0) return null;
    const samples = whole / 2;
    const msPerSample = 1000 / this.#sampleRate;
    const first = this.#anchorMs === null;
    // Never before the recording's zero: the fallback starts after it.
    this.#anchorMs ??= Math.max(0, arrivedAtMs - samples * msPerSample);
    const startMs = this.#anchorMs + this.#samples * msPerSample;
    this.#samples += samples;
    return { pcm: all.subarray(0, whole), samples, startMs, endMs: startMs + samples * msPerSample, discontinuity: first };
  }
}
