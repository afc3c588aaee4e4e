import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { lumaPerRegion, regionsLuma } from '../../../bench/lib/extract.ts';

describe('lumaPerRegion', () => {
  it('splits frames of squares laid side by side into one series per square', () => {
    // Two frames of two 8x8 squares: rows of 16 bytes, the first 8 of each row belong to square 0.
    const frame = (a: number, b: number) => Array.from({ length: 8 }, () => [...Array(8).fill(a), ...Array(8).fill(b)]).flat();
    const raw = Uint8Array.from([...frame(10, 200), ...frame(30, 40)]);
    expect(lumaPerRegion(raw, 2)).toEqual([
      [10, 30],
      [200, 40],
    ]);
  });

  it('ignores a trailing partial frame', () => {
    expect(lumaPerRegion(new Uint8Array(64 + 10).fill(50), 1)).toEqual([[50]]);
  });
});

describe('regionsLuma (real ffmpeg)', () => {
  const dir = mkdtempSync(`${tmpdir()}/scriba-extract-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads several rectangles in one decode exactly as it reads each alone', async () => {
    const path = `${dir}/boxes.mp4`;
    // A white box at the top left for the first half second, a grey one at the bottom right throughout.
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=128x96:r=30:d=1',
      '-vf',
      "drawbox=x=0:y=0:w=32:h=32:c=white:t=fill:enable='lt(t,0.5)',drawbox=x=96:y=64:w=32:h=32:c=gray:t=fill",
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      path,
    ]);
    const a = { x: 0, y: 0, width: 32, height: 32 };
    const b = { x: 96, y: 64, width: 32, height: 32 };
    const [both, aloneA, aloneB] = await Promise.all([regionsLuma(path, [a, b]), regionsLuma(path, [a]), regionsLuma(path, [b])]);
    expect(both).toEqual([aloneA[0], aloneB[0]]);
    expect(both[0]).toHaveLength(30);
    expect(both[0]![0]).toBeGreaterThan(200);
    expect(both[0]![29]).toBeLessThan(40);
    expect(Math.min(...both[1]!)).toBeGreaterThan(100);
  });
});
