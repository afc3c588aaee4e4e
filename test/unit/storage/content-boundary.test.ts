import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { anyByteBoundary, lineBoundary, mp4FragmentBoundary } from '../../../src/storage/content-boundary.ts';

const MP4 = readFileSync(new URL('../../fixtures/ffmpeg/fragmented-3s-160x90.mp4', import.meta.url));

describe('content boundaries of a growing file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function file(): string {
    const dir = mkdtempSync(join(tmpdir(), 'scriba-boundary-'));
    dirs.push(dir);
    return join(dir, 'f');
  }

  it('lines: after the last newline, found once', async () => {
    const path = file();
    writeFileSync(path, 'WEBVTT\n\n00:00.000 --> 00:01.000\nhel');
    const fh = await open(path, 'r');
    const b = lineBoundary();
    expect(await b.advance(fh, 35)).toEqual([32]);
    expect(await b.advance(fh, 35)).toEqual([]);
    appendFileSync(path, 'lo\n');
    expect(await b.advance(fh, 38)).toEqual([38]);
    await fh.close();
  });

  it('fragmented MP4: the moov end and each whole fragment; garbage gives up structure', async () => {
    const path = file();
    writeFileSync(path, MP4.subarray(0, 12_000));
    const fh = await open(path, 'r');
    const b = mp4FragmentBoundary();
    expect(await b.advance(fh, 12_000)).toEqual([1257, 9169]);
    appendFileSync(path, MP4.subarray(12_000));
    expect(await b.advance(fh, MP4.length)).toEqual([16997, 25277, 25529, 25734]);
    await fh.close();

    writeFileSync(path, Buffer.alloc(64, 0xff));
    const g = await open(path, 'r');
    expect(await mp4FragmentBoundary().advance(g, 64)).toBeNull();
    expect(await anyByteBoundary().advance(g, 64)).toBeNull();
    await g.close();
  });
});
