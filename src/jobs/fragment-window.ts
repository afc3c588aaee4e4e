/**
 * Finding, in a few bytes of a long fragmented MP4 (`ftyp moov (moof mdat)*`, see src/ffmpeg/mp4-fragments.ts),
 * where its first fragment ends and where its last whole fragment lies, so that `head + last fragment` can be
 * probed as a small stand-in for the whole file: it has the streams, and (the fragments carry their decode
 * times) the whole file's duration. Pure.
 */
import { parseBoxHeader } from '../ffmpeg/index.ts';

export type Span = { readonly start: number; readonly end: number };

/** Top-level boxes that may sit between fragments (ffmpeg writes `mfra` at the end of a file it closed). */
const BETWEEN_FRAGMENTS = new Set(['moof', 'mdat', 'free', 'skip', 'styp', 'sidx', 'prft', 'emsg', 'mfra']);

type Box = { readonly type: string; readonly size: number } | 'need-more' | 'corrupt';

/** The top-level box at bytes[at]; a size-0 box ("to the end") counts as corrupt: ffmpeg never writes one here. */
function boxAt(bytes: Uint8Array, at: number): Box {
  const h = parseBoxHeader(bytes.subarray(at, at + 16));
  if (h === 'need-more' || h === 'corrupt') return h;
  return h.size === null ? 'corrupt' : { type: h.type, size: h.size };
}

/**
 * The end of the first fragment's mdat, read from the file's first bytes `head`: a number, `{ need }` when
 * `head` must reach further (up to `need` bytes), or null when the file does not look like a fragmented MP4.
 */
export function firstFragmentEnd(head: Uint8Array): number | { readonly need: number } | null {
  let at = 0;
  let sawMoov = false;
  for (;;) {
    const box = boxAt(head, at);
    if (box === 'need-more') return { need: at + 16 };
    if (box === 'corrupt') return null;
    if (box.type === 'moov') sawMoov = true;
    const end = at + box.size;
    if (box.type === 'mdat' && sawMoov) return end <= head.length ? end : { need: end };
    at = end;
  }
}

/**
 * The last whole `moof`+`mdat` of a file, found in its last bytes `tail` (which start at `tailStart` in the
 * file and run to its end): the last `moof` from which whole boxes chain to the end of the file (the last
 * one may be cut short) with its mdat whole. Null when no such fragment lies within the tail.
 */
export function lastWholeFragment(tail: Uint8Array, tailStart: number): Span | null {
  for (let i = tail.length - 8; i >= 0; i--) {
    // The type 'moof' at i + 4.
    if (tail[i + 4] !== 0x6d || tail[i + 5] !== 0x6f || tail[i + 6] !== 0x6f || tail[i + 7] !== 0x66) continue;
    const found = chainFrom(tail, i);
    if (found !== null) return { start: tailStart + found.start, end: tailStart + found.end };
  }
  return null;
}

/** From a `moof` candidate at tail[i]: the last whole moof+mdat when boxes chain from it to the end. */
function chainFrom(tail: Uint8Array, i: number): Span | null {
  let at = i;
  let last: Span | null = null;
  let moofAt: number | null = null;
  while (at < tail.length) {
    const box = boxAt(tail, at);
    // A header cut short by the end of the file.
    if (box === 'need-more') return last;
    if (box === 'corrupt' || !BETWEEN_FRAGMENTS.has(box.type)) return null;
    const end = at + box.size;
    // A box cut short by the end of the file (salvage may end inside a fragment).
    if (end > tail.length) return last;
    if (box.type === 'mdat' && moofAt !== null) last = { start: moofAt, end };
    moofAt = box.type === 'moof' ? at : null;
    at = end;
  }
  return last;
}
