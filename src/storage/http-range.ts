/**
 * Single byte ranges (RFC 9110 §14), enough for players to seek and downloads to resume (pure). Multiple
 * ranges and syntax we do not understand are ignored (the whole file is sent), as the RFC allows.
 */
export type RangeResult =
  | { readonly kind: 'full' }
  /** Inclusive byte positions, as in Content-Range. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const FULL: RangeResult = { kind: 'full' };
const RANGE_RE = /^bytes=([0-9]{0,15})-([0-9]{0,15})$/;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return FULL;
  const m = RANGE_RE.exec(header.trim());
  if (m === null) return FULL;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return FULL;
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Number(last);
  if (end < start) return FULL; // syntactically invalid: ignore the header
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
