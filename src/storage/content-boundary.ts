/**
 * Where a file that is still being written may be cut so that what comes before is a whole file (a
 * fragmented MP4 after a whole fragment, a transcript after a whole line). The growing-file upload ends its
 * parts and its checkpointed tail there, so whatever salvage rebuilds from a checkpoint is whole.
 * Each boundary keeps its own scan position: make one per upload.
 */
import type { FileHandle } from 'node:fs/promises';
import { EMPTY_SCAN, scanFragmentsWith, type FragmentScan } from '../ffmpeg/mp4-fragments.ts';

export interface ContentBoundary {
  /**
   * Reads on up to `available` and returns the cut points found since the last call (ascending, each
   * <= available), or null when any byte will do (no structure, or the structure broke: then cutting
   * anywhere is the best left).
   */
  advance(fh: FileHandle, available: number): Promise<readonly number[] | null>;
}

/** Every byte is a cut point (no structure to respect). */
export function anyByteBoundary(): ContentBoundary {
  return { advance: async () => null };
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** A fragmented MP4: after the moov and after each whole moof+mdat (src/ffmpeg/mp4-fragments.ts). */
export function mp4FragmentBoundary(): ContentBoundary {
  let scan: FragmentScan = EMPTY_SCAN;
  return {
    async advance(fh, available) {
      const found: number[] = [];
      scan = await scanFragmentsWith(
        scan,
        available,
        (offset, length) => readAt(fh, offset, length),
        (end) => found.push(end),
      );
      return scan.corrupt ? null : found;
    },
  };
}

const LINE_SCAN_CHUNK = 64 * 1024;

/** Text written a line at a time (transcripts): after the last newline. */
export function lineBoundary(): ContentBoundary {
  let scanned = 0;
  return {
    async advance(fh, available) {
      let end = -1;
      while (scanned < available) {
        const chunk = await readAt(fh, scanned, Math.min(LINE_SCAN_CHUNK, available - scanned));
        if (chunk.length === 0) break;
        const nl = chunk.lastIndexOf(0x0a);
        if (nl >= 0) end = scanned + nl + 1;
        scanned += chunk.length;
      }
      return end < 0 ? [] : [end];
    },
  };
}
