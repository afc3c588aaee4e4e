/**
 * Flashes and beeps in a recording, on the file's presentation timeline as a player shows them: flashes at
 * their frames' own times (see videoFrameTimes), beeps at their sample's place after the audio stream's start
 * (the decoded sound starts with the AAC encoder's priming, as the file's audio timeline does).
 */
import { beepPulses, flashPulses, type Pulse } from './av-sync.ts';
import { monoPcm, regionLuma, streamStarts, videoFrameTimes } from './extract.ts';

/** The flashes of a rectangle of the picture (device pixels). */
export async function regionFlashes(path: string, rect: { x: number; y: number; width: number; height: number }): Promise<Pulse[]> {
  const luma = await regionLuma(path, { x: rect.x, y: rect.y, w: rect.width, h: rect.height });
  return flashPulses(luma, await videoFrameTimes(path));
}

/** The beeps of one frequency in the sound. */
export async function fileBeeps(path: string, freq: number): Promise<Pulse[]> {
  const starts = await streamStarts(path);
  return beepPulses(await monoPcm(path), 48_000, freq).map((p) => ({ ...p, t: p.t + starts.audio }));
}
