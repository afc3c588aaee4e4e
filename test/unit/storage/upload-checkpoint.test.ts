import { describe, expect, it } from 'vitest';
import { parseUploadCheckpoint, tailChunkKey, tailChunkPrefix } from '../../../src/storage/upload-checkpoint.ts';

const H = (c: string): string => c.repeat(64);
const valid = {
  version: 1,
  key: 'sess/Room_2024.mp4',
  contentType: 'video/mp4',
  uploadId: 'abc123',
  parts: [
    { partNumber: 1, size: 10, etag: '"e1"', sha256: H('a') },
    { partNumber: 2, size: 10, etag: '"e2"', sha256: H('b') },
  ],
  partBytes: 20,
  tail: [
    { key: 'sess/Room_2024.mp4.tail-000003', start: 15, size: 10, sha256: H('c') },
    { key: 'sess/Room_2024.mp4.tail-000004', start: 25, size: 4, sha256: H('d') },
  ],
  bytes: 29,
  wholeBytes: 29,
  startedAtMs: 1000,
  updatedAtMs: 2000,
};

describe('upload checkpoints (pure)', () => {
  it('names tail objects after the key', () => {
    expect(tailChunkKey('s/a.mp4', 7)).toBe('s/a.mp4.tail-000007');
    expect(tailChunkKey('s/a.mp4', 1234567)).toBe('s/a.mp4.tail-1234567');
    expect(tailChunkKey('s/a.mp4', 7).startsWith(tailChunkPrefix('s/a.mp4'))).toBe(true);
  });

  it('accepts a checkpoint read back as JSON and derives the byte counts itself', () => {
    const cp = parseUploadCheckpoint(JSON.parse(JSON.stringify({ ...valid, partBytes: 999, bytes: 999 })));
    expect(cp).toMatchObject({ key: valid.key, uploadId: 'abc123', partBytes: 20, bytes: 29, wholeBytes: 29 });
    expect(parseUploadCheckpoint({ ...valid, uploadId: null, parts: [], tail: [] })).toMatchObject({ bytes: 0, partBytes: 0 });
  });

  it('refuses what salvage must not act on', () => {
    const bad: Array<[string, unknown]> = [
      ['not an object', 'x'],
      ['other version', { ...valid, version: 2 }],
      ['bad key', { ...valid, key: '../etc/passwd' }],
      ['parts without upload id', { ...valid, uploadId: null }],
      ['gap in parts', { ...valid, parts: [valid.parts[0], { ...valid.parts[1], partNumber: 3 }] }],
      ['bad hash', { ...valid, parts: [{ ...valid.parts[0], sha256: 'zz' }] }],
      ['foreign tail key', { ...valid, tail: [{ ...valid.tail[0], key: 'other/secret.mp4' }] }],
      ['tail key with a suffix', { ...valid, tail: [{ ...valid.tail[0], key: 'sess/Room_2024.mp4.tail-000003/../x' }] }],
      ['tail gap', { ...valid, tail: [valid.tail[0], { ...valid.tail[1], start: 26 }] }],
      ['tail after a hole', { ...valid, tail: [{ ...valid.tail[0], start: 21 }] }],
      ['tail inside the parts', { ...valid, tail: [{ ...valid.tail[0], start: 5, size: 10 }] }],
      ['empty tail chunk', { ...valid, tail: [{ ...valid.tail[0], size: 0 }] }],
    ];
    for (const [what, value] of bad) {
      expect(() => parseUploadCheckpoint(value), what).toThrow(/invalid upload checkpoint/);
    }
  });
});
