/** LINEAR16 mono arithmetic shared by the engines. Pure. */

export const BYTES_PER_SAMPLE = 2;

export function bytesPerSecond(sampleRateHertz: number): number {
  return sampleRateHertz * BYTES_PER_SAMPLE;
}

export function bytesToSeconds(bytes: number, sampleRateHertz: number): number {
  return bytes / bytesPerSecond(sampleRateHertz);
}

/** The byte offset of the sample at `seconds` (rounded to the nearest whole sample, never negative). */
export function secondsToByte(seconds: number, sampleRateHertz: number): number {
  return Math.max(0, Math.round(seconds * sampleRateHertz)) * BYTES_PER_SAMPLE;
}

/**
 * Keeps writes sample-aligned: a chunk with an odd length leaves its last byte for the next one, so a sample
 * is never split between two requests or two processes' reads.
 */
export class SampleAligner {
  #carry: Buffer | null = null;

  push(chunk: Buffer): Buffer {
    const joined = this.#carry === null ? chunk : Buffer.concat([this.#carry, chunk]);
    const whole = joined.length - (joined.length % BYTES_PER_SAMPLE);
    this.#carry = whole < joined.length ? Buffer.from(joined.subarray(whole)) : null;
    return joined.subarray(0, whole);
  }
}
