/**
 * Which bytes of a growing file to upload as which part (pure). While the file grows only whole parts leave
 * (S3 wants >= 5 MiB for every part but the last); at the end the rest goes as the last part. A plan never
 * reaches past the bytes the file has (`available`). Part sizes double every fifth of the part limit, so a
 * recording of any length fits S3's 10,000 parts (8 MiB base: 2,000 parts each of 8, 16, 32, 64, 128 MiB,
 * 484 GiB in all).
 */
export const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;

export interface PlannedPart {
  readonly partNumber: number;
  /** Byte range [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface PlanInput {
  /** Bytes [0, uploadedEnd) are already in parts 1 … nextPartNumber - 1. */
  readonly uploadedEnd: number;
  readonly nextPartNumber: number;
  /** Bytes the file has now. */
  readonly available: number;
  readonly basePartSize: number;
  readonly maxParts: number;
  /** The file is complete: also plan the last, shorter part. */
  readonly final: boolean;
  /**
   * Where the content may be cut (ascending offsets, e.g. the ends of whole MP4 fragments). While the file
   * grows, each part then ends at the first of these at least a part's size from its start, so whatever parts
   * have been sent form a whole file; absent: anywhere.
   */
  readonly cuts?: readonly number[];
}

export function partSizeFor(partNumber: number, basePartSize: number, maxParts: number): number {
  if (!Number.isFinite(maxParts) || maxParts >= Number.MAX_SAFE_INTEGER) return basePartSize;
  const step = Math.max(1, Math.floor(maxParts / 5));
  return basePartSize * 2 ** Math.floor((partNumber - 1) / step);
}

/** The part size to use: at least the store's minimum (S3: 5 MiB). */
export function effectivePartSize(requested: number, storeMinimum: number): number {
  if (!Number.isFinite(requested) || requested <= 0) return Math.max(DEFAULT_PART_SIZE, storeMinimum);
  return Math.max(Math.floor(requested), storeMinimum);
}

export function planParts(input: PlanInput): PlannedPart[] {
  const parts: PlannedPart[] = [];
  let start = input.uploadedEnd;
  let partNumber = input.nextPartNumber;
  for (;;) {
    const size = partSizeFor(partNumber, input.basePartSize, input.maxParts);
    const remaining = input.available - start;
    if (remaining <= 0) break;
    // The store's last part number is kept for the final part, which then takes all that is left.
    if (!input.final && partNumber >= input.maxParts) break;
    if (remaining < size || (input.final && partNumber === input.maxParts)) {
      if (input.final) parts.push({ partNumber, start, end: input.available });
      break;
    }
    let end = start + size;
    if (!input.final && input.cuts !== undefined) {
      const cut = input.cuts.find((c) => c >= start + size && c <= input.available);
      if (cut === undefined) break;
      end = cut;
    }
    parts.push({ partNumber, start, end });
    start = end;
    partNumber += 1;
  }
  return parts;
}
