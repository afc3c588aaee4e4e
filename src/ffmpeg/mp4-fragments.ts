/**
 * Where a fragmented MP4 can be cut so that what comes before plays (pure). The recording file
 * (output-legs.ts: `+frag_keyframe+empty_moov+default_base_moof`) is `ftyp moov (moof mdat)* [mfra]`: top-level
 * boxes, each `size(32) type(4)` or `1 type(4) size(64)`. A prefix ending after a whole `moof`+`mdat` pair (or
 * after the sample-less `moov`, before any fragment) is a valid file of every fragment so far; one ending
 * inside a box, or between a `moof` and its `mdat`, is not. See docs/storage.md, "Salvage".
 *
 * Scanning is incremental: only box headers are read, and a scan is resumed where the last one stopped, so a
 * growing file is never read twice.
 */

export interface BoxHeader {
  readonly type: string;
  /** The whole box, header included; null: "to the end of the file" (size 0), unknown while the file grows. */
  readonly size: number | null;
  readonly headerSize: number;
}

/** Bytes needed to read any box header (a 64-bit size included). */
export const BOX_HEADER_MAX = 16;

export type ParsedHeader = BoxHeader | 'need-more' | 'corrupt';

/** The box header at the start of `bytes` (which may hold up to BOX_HEADER_MAX bytes of the box). */
export function parseBoxHeader(bytes: Uint8Array): ParsedHeader {
  if (bytes.length < 8) return 'need-more';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size32 = view.getUint32(0);
  const type = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0, bytes[6] ?? 0, bytes[7] ?? 0);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return 'corrupt';
  if (size32 === 0) return { type, size: null, headerSize: 8 };
  if (size32 === 1) {
    if (bytes.length < 16) return 'need-more';
    const size64 = view.getBigUint64(8);
    if (size64 < 16n || size64 > BigInt(Number.MAX_SAFE_INTEGER)) return 'corrupt';
    return { type, size: Number(size64), headerSize: 16 };
  }
  if (size32 < 8) return 'corrupt';
  return { type, size: size32, headerSize: 8 };
}

export interface FragmentScan {
  /** Offset of the first top-level box not yet seen whole. */
  readonly pos: number;
  /**
   * End of the last whole fragment (moof + mdat), or of the `moov` (and any whole boxes after it) before the
   * first fragment; 0 until the `moov` is whole: the longest prefix that is a valid file.
   */
  readonly wholeEnd: number;
  readonly fragments: number;
  readonly sawMoov: boolean;
  /** A `moof` is whole but its `mdat` is not yet. */
  readonly inFragment: boolean;
  /** A box header made no sense: nothing after `pos` counts. */
  readonly corrupt: boolean;
}

export const EMPTY_SCAN: FragmentScan = { pos: 0, wholeEnd: 0, fragments: 0, sawMoov: false, inFragment: false, corrupt: false };

/**
 * One more whole top-level box (`header` at `scan.pos`, entirely within the file). Pure: returns the new scan.
 */
export function addWholeBox(scan: FragmentScan, header: BoxHeader & { readonly size: number }): FragmentScan {
  const end = scan.pos + header.size;
  const next = { ...scan, pos: end };
  if (header.type === 'moov') return { ...next, sawMoov: true, wholeEnd: end };
  if (header.type === 'moof') return { ...next, inFragment: true };
  if (header.type === 'mdat' && scan.inFragment) {
    return { ...next, inFragment: false, fragments: scan.fragments + 1, wholeEnd: end };
  }
  // ftyp, styp, sidx, free, mfra…: whole boxes outside a fragment keep the prefix valid once the moov is in.
  return scan.sawMoov && !scan.inFragment ? { ...next, wholeEnd: end } : next;
}

/**
 * Continues `scan` over the file, of which `available` bytes exist, reading box headers through `headerAt`
 * (up to BOX_HEADER_MAX bytes at an offset; fewer near the end). Stops at the first box not yet whole.
 * `onWhole` hears every new `wholeEnd` (each a place the file can be cut), in order.
 */
export async function scanFragmentsWith(
  scan: FragmentScan,
  available: number,
  headerAt: (offset: number, length: number) => Promise<Uint8Array>,
  onWhole?: (wholeEnd: number) => void,
): Promise<FragmentScan> {
  let s = scan;
  while (!s.corrupt && s.pos + 8 <= available) {
    const header = parseBoxHeader(await headerAt(s.pos, Math.min(BOX_HEADER_MAX, available - s.pos)));
    if (header === 'corrupt') return { ...s, corrupt: true };
    if (header === 'need-more' || header.size === null || s.pos + header.size > available) return s;
    const before = s.wholeEnd;
    s = addWholeBox(s, { ...header, size: header.size });
    if (s.wholeEnd !== before) onWhole?.(s.wholeEnd);
  }
  return s;
}

/** The same over bytes in memory (the file from offset 0, or a longer prefix of it than `scan` saw). */
export function scanFragments(bytes: Uint8Array, scan: FragmentScan = EMPTY_SCAN): FragmentScan {
  let s = scan;
  while (!s.corrupt && s.pos + 8 <= bytes.length) {
    const header = parseBoxHeader(bytes.subarray(s.pos, Math.min(s.pos + BOX_HEADER_MAX, bytes.length)));
    if (header === 'corrupt') return { ...s, corrupt: true };
    if (header === 'need-more' || header.size === null || s.pos + header.size > bytes.length) return s;
    s = addWholeBox(s, { ...header, size: header.size });
  }
  return s;
}

/** The longest prefix of a fragmented MP4 that is a valid file (0: not even the header is whole). */
export function lastWholeFragmentEnd(bytes: Uint8Array): number {
  return scanFragments(bytes).wholeEnd;
}
