/**
 * Flashes and beeps in a recording, on the file's presentation timeline as a player shows them: flashes at
 * their frames' own times (see videoFrameTimes), beeps at their sample's place after the audio stream's start
 * (the decoded sound starts with the AAC encoder's priming, as the file's audio timeline does).
 */
import { beepPulses, flashPulses, type Pulse } from './av-sync.ts';
import { monoPcm, type Rect, regionsLuma, streamStarts, videoFrameTimes } from './extract.ts';

/** The flashes of a rectangle of the picture (device pixels). */
export async function regionFlashes(path: string, rect: Rect): Promise<Pulse[]> {
  return (await regionsFlashes(path, [rect]))[0]!;
}

/** The flashes of several rectangles, from one decode of the file. */
export async function regionsFlashes(path: string, rects: readonly Rect[]): Promise<Pulse[][]> {
  const lumas = await regionsLuma(path, rects);
  const times = await videoFrameTimes(path);
  return lumas.map((luma) => flashPulses(luma, times));
}

/** The beeps of one frequency in the sound. */
export async function fileBeeps(path: string, freq: number): Promise<Pulse[]> {
  const starts = await streamStarts(path);
  return beepPulses(await monoPcm(path), 48_000, freq).map((p) => ({ ...p, t: p.t + starts.audio }));
}
