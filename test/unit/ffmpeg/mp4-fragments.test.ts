import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMPTY_SCAN, lastWholeFragmentEnd, parseBoxHeader, scanFragments, scanFragmentsWith } from '../../../src/ffmpeg/mp4-fragments.ts';

// 3 s of lavfi testsrc2 + sine muxed with the recording leg's options (see test/fixtures/ffmpeg/README.md):
// ftyp moov (moof mdat)×4 mfra.
const FILE = readFileSync(new URL('../../fixtures/ffmpeg/fragmented-3s-160x90.mp4', import.meta.url));

function topLevel(bytes: Uint8Array): Array<{ type: string; start: number; end: number }> {
  const out: Array<{ type: string; start: number; end: number }> = [];
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const h = parseBoxHeader(bytes.subarray(pos, pos + 16));
    if (typeof h === 'string' || h.size === null) break;
    out.push({ type: h.type, start: pos, end: pos + h.size });
    pos += h.size;
  }
  return out;
}

describe('fragmented MP4 cut points (pure)', () => {
  const boxes = topLevel(FILE);
  const mdatEnds = boxes.filter((b) => b.type === 'mdat').map((b) => b.end);
  const moovEnd = boxes.find((b) => b.type === 'moov')?.end ?? -1;

  it('reads the recording layout ffmpeg writes', () => {
    expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'moov', 'moof', 'mdat', 'moof', 'mdat', 'moof', 'mdat', 'moof', 'mdat', 'mfra']);
    expect(boxes.at(-1)?.end).toBe(FILE.length);
  });

  it('a whole file is whole; every fragment counts', () => {
    const scan = scanFragments(FILE);
    expect(scan).toMatchObject({ pos: FILE.length, wholeEnd: FILE.length, fragments: 4, sawMoov: true, inFragment: false, corrupt: false });
  });

  it('cut anywhere, the whole prefix ends after the last whole moof+mdat (or the moov)', () => {
    for (let cut = 0; cut <= FILE.length; cut += 97) {
      const expected = cut < moovEnd ? 0 : Math.max(moovEnd, ...mdatEnds.filter((e) => e <= cut));
      expect(lastWholeFragmentEnd(FILE.subarray(0, cut)), `cut at ${cut}`).toBe(expected);
    }
    // Inside a moof (ffmpeg cannot even open that), and right after a moof without its mdat.
    const secondMoof = boxes[4];
    expect(lastWholeFragmentEnd(FILE.subarray(0, (secondMoof?.start ?? 0) + 20))).toBe(mdatEnds[0]);
    expect(lastWholeFragmentEnd(FILE.subarray(0, secondMoof?.end))).toBe(mdatEnds[0]);
  });

  it('resumes where it stopped as the file grows, and reads only box headers', async () => {
    let scan = EMPTY_SCAN;
    const reads: number[] = [];
    const found: number[] = [];
    for (let available = 0; available <= FILE.length; available += 4096) {
      scan = await scanFragmentsWith(
        scan,
        available,
        async (offset, length) => {
          reads.push(length);
          return FILE.subarray(offset, offset + length);
        },
        (end) => found.push(end),
      );
    }
    scan = await scanFragmentsWith(
      scan,
      FILE.length,
      async (o, l) => FILE.subarray(o, o + l),
      (end) => found.push(end),
    );
    expect(scan.wholeEnd).toBe(FILE.length);
    expect(found).toEqual([moovEnd, ...mdatEnds, FILE.length]);
    expect(Math.max(...reads)).toBeLessThanOrEqual(16);
    expect(scanFragments(FILE, scanFragments(FILE.subarray(0, 10_000)))).toEqual(scanFragments(FILE));
  });

  it('parses 64-bit sizes, size 0 (to the end) and refuses nonsense', () => {
    const big = Buffer.alloc(16);
    big.writeUInt32BE(1, 0);
    big.write('mdat', 4, 'latin1');
    big.writeBigUInt64BE(5_000_000_000n, 8);
    expect(parseBoxHeader(big)).toEqual({ type: 'mdat', size: 5_000_000_000, headerSize: 16 });
    expect(parseBoxHeader(big.subarray(0, 12))).toBe('need-more');
    const toEnd = Buffer.from([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74]);
    expect(parseBoxHeader(toEnd)).toEqual({ type: 'mdat', size: null, headerSize: 8 });
    expect(parseBoxHeader(Buffer.from([0, 0, 0, 4, 0x6d, 0x64, 0x61, 0x74]))).toBe('corrupt');
    expect(parseBoxHeader(Buffer.from([0, 0, 0, 9, 0, 1, 2, 3]))).toBe('corrupt');
    const garbage = Buffer.concat([FILE.subarray(0, moovEnd), Buffer.from([0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8])]);
    expect(scanFragments(garbage)).toMatchObject({ corrupt: true, wholeEnd: moovEnd });
    expect(lastWholeFragmentEnd(new Uint8Array(0))).toBe(0);
  });
});
