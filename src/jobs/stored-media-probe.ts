/**
 * Whether a fragmented MP4 in the store plays, and how long it is, without reading it whole: a short one is
 * read whole; of a long one only its head (ftyp, moov, first fragment) and its last whole fragment are read
 * (ranged reads) and probed together, which keeps memory and transfer bounded whatever the recording's length.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeMedia } from '../ffmpeg/index.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { firstFragmentEnd, lastWholeFragment } from './fragment-window.ts';

const MiB = 1024 * 1024;

export interface ProbeWindows {
  /** Objects up to this size are read whole. */
  readonly wholeMaxBytes: number;
  /** First reads of the head and of the tail. */
  readonly headBytes: number;
  readonly tailBytes: number;
  /** A first fragment (or the last one) larger than this is not looked for: the object counts as unplayable. */
  readonly maxWindowBytes: number;
}

/** Fragments are ~1 s (output-legs.ts): 8 MiB of tail holds several even at high bitrates. */
export const DEFAULT_PROBE_WINDOWS: ProbeWindows = {
  wholeMaxBytes: 16 * MiB,
  headBytes: 2 * MiB,
  tailBytes: 8 * MiB,
  maxWindowBytes: 64 * MiB,
};

/** The bytes to probe for the object: all of it, or its head and its last whole fragment; null: not an MP4 we can cut. */
async function probeBytes(
  store: ObjectStore,
  key: string,
  size: number,
  w: ProbeWindows,
  signal: AbortSignal,
): Promise<Uint8Array[] | null> {
  const read = async (start: number, end: number): Promise<Uint8Array | null> =>
    store.read(key, { range: { start, end }, maxBytes: end - start, signal });
  if (size <= w.wholeMaxBytes) {
    const whole = await read(0, size);
    return whole === null ? null : [whole];
  }
  let head = await read(0, Math.min(size, w.headBytes));
  let first = head === null ? null : firstFragmentEnd(head);
  if (head !== null && first !== null && typeof first === 'object' && first.need <= Math.min(size, w.maxWindowBytes)) {
    // The first fragment reaches further: read only the rest of it.
    const rest = await read(head.length, first.need);
    head = rest === null ? null : Buffer.concat([head, rest]);
    first = head === null ? null : firstFragmentEnd(head);
  }
  if (head === null || typeof first !== 'number') return null;
  const headPart = head.subarray(0, first);
  // The tail read so far, [tailStart, size); a wider reach reads only the bytes before it.
  let tail: Uint8Array = new Uint8Array(0);
  let tailStart = size;
  for (const reach of [w.tailBytes, w.maxWindowBytes]) {
    const start = Math.max(first, size - reach);
    if (start >= size) return [headPart];
    if (start < tailStart) {
      const before = await read(start, tailStart);
      if (before === null) return null;
      tail = tail.length === 0 ? before : Buffer.concat([before, tail]);
      tailStart = start;
    }
    const last = lastWholeFragment(tail, tailStart);
    if (last !== null) return [headPart, tail.subarray(last.start - tailStart, last.end - tailStart)];
    if (tailStart === first) return [headPart];
  }
  return null;
}

/** Seconds of media in the stored fragmented MP4 of `size` bytes; null when it does not play. */
export async function storedMp4Seconds(
  store: ObjectStore,
  key: string,
  size: number,
  signal: AbortSignal,
  windows: ProbeWindows = DEFAULT_PROBE_WINDOWS,
): Promise<number | null> {
  const parts = await probeBytes(store, key, size, windows, signal);
  if (parts === null) return null;
  const dir = await mkdtemp(join(tmpdir(), 'scriba-salvage-'));
  try {
    const file = join(dir, 'segment.mp4');
    await writeFile(file, parts, { mode: 0o600, signal });
    const media = await probeMedia(file, { signal });
    return media.video !== null || media.audio !== null ? media.durationSec : null;
  } catch {
    return null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
