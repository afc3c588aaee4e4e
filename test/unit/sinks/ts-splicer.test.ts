/**
 * On real capture output: test/fixtures/ffmpeg/stream-leg-gop1s.mpegts is 2.5 s of the stream leg's format
 * (libx264 with global headers, keyframe every 1 s, AAC, `-pes_payload_size 0`), keyframes at 1.42, 2.42 and
 * 3.42 s.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TS_PACKET_SIZE, TsSplicer } from '../../../src/sinks/ts-splicer.ts';

const ts = readFileSync(new URL('../../fixtures/ffmpeg/stream-leg-gop1s.mpegts', import.meta.url));
const pid = (p: Buffer) => ((p[1]! & 0x1f) << 8) | p[2]!;
const packets = (b: Buffer) =>
  Array.from({ length: b.length / TS_PACKET_SIZE }, (_, i) => b.subarray(i * TS_PACKET_SIZE, (i + 1) * TS_PACKET_SIZE));

/** Deterministic odd chunk sizes, as a pipe delivers them. */
function feed(splicer: TsSplicer, data: Buffer, onChunk: (out: Buffer) => void = () => undefined): Buffer {
  const out: Buffer[] = [];
  let size = 1;
  for (let i = 0; i < data.length; i += size, size = (size * 7 + 13) % 5000 || 1) {
    const o = splicer.push(data.subarray(i, i + size));
    out.push(o);
    onChunk(o);
  }
  return Buffer.concat(out);
}

describe('TsSplicer', () => {
  it('forwards every byte, cut on packet boundaries only', () => {
    const s = new TsSplicer();
    const forwarded: number[] = [];
    expect(feed(s, ts, (o) => forwarded.push(o.length)).equals(ts)).toBe(true);
    expect(forwarded.every((n) => n % TS_PACKET_SIZE === 0)).toBe(true);
    expect(s.resyncedBytes).toBe(0);
  });

  it('replays PAT, PMT and the latest picture group, starting on the keyframe', () => {
    const s = new TsSplicer();
    let first: Buffer | null = null;
    feed(s, ts, () => (first ??= s.replay()));
    const replay = s.replay()!;
    const list = packets(replay);
    expect(pid(list[0]!)).toBe(0); // PAT
    expect(pid(list[1]!)).toBe(0x1000); // PMT (ffmpeg's default PMT PID)
    const key = list[2]!;
    expect(pid(key)).toBe(0x100); // the H.264 PID
    expect(key[1]! & 0x40).toBe(0x40); // payload unit start
    expect(key[5]! & 0x40).toBe(0x40); // random access indicator
    // The last group (from 3.42 s to the end) is much smaller than the file, and ends where the input ends.
    expect(replay.length).toBeLessThan(ts.length / 2);
    expect(replay.subarray(replay.length - 188).equals(ts.subarray(ts.length - 188))).toBe(true);
    expect(first).not.toBeNull();
  });

  it('has nothing to replay before the first keyframe, and drops a group larger than its limit', () => {
    const s = new TsSplicer();
    s.push(ts.subarray(0, 188 * 2)); // PAT + PMT only
    expect(s.replay()).toBeNull();
    const tiny = new TsSplicer({ maxGopBytes: 188 * 10 });
    tiny.push(ts);
    expect(tiny.replay()).toBeNull();
  });

  it('finds the packet boundary again after garbage', () => {
    const s = new TsSplicer();
    const out = s.push(Buffer.concat([Buffer.from([1, 2, 3]), ts]));
    expect(out.equals(ts)).toBe(true);
    expect(s.resyncedBytes).toBe(3);
  });
});
