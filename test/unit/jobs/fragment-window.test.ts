import { describe, expect, it } from 'vitest';
import { firstFragmentEnd, lastWholeFragment } from '../../../src/jobs/fragment-window.ts';

/** A top-level box of `size` bytes (header included) whose payload is `fill`. */
function box(type: string, size: number, fill = 0): Buffer {
  const b = Buffer.alloc(size, fill);
  b.writeUInt32BE(size, 0);
  b.write(type, 4, 'latin1');
  return b;
}

/** A payload that contains the bytes of a fake 'moof' header. */
function mdatWithFakeMoof(size: number): Buffer {
  const b = box('mdat', size);
  b.writeUInt32BE(40, 20);
  b.write('moof', 24, 'latin1');
  return b;
}

const file = Buffer.concat([
  box('ftyp', 24),
  box('moov', 700),
  box('moof', 100),
  box('mdat', 5000),
  box('moof', 90),
  mdatWithFakeMoof(4000),
  box('moof', 80),
  box('mdat', 3000),
]);
const lastStart = 24 + 700 + 100 + 5000 + 90 + 4000;

describe('finding fragments in a few bytes of a fragmented MP4', () => {
  it('the end of the first fragment, or how much more of the head is needed', () => {
    expect(firstFragmentEnd(file)).toBe(24 + 700 + 100 + 5000);
    expect(firstFragmentEnd(file.subarray(0, 1000))).toEqual({ need: 24 + 700 + 100 + 5000 });
    expect(firstFragmentEnd(file.subarray(0, 30))).toEqual({ need: 24 + 16 });
    expect(firstFragmentEnd(Buffer.alloc(2000, 0xff))).toBeNull();
  });

  it('the last whole fragment from the tail only, past fake headers inside media data', () => {
    const tailStart = file.length - 5000;
    expect(lastWholeFragment(file.subarray(tailStart), tailStart)).toEqual({ start: lastStart, end: file.length });
  });

  it('a file cut inside its last fragment: the one before it', () => {
    const cut = file.subarray(0, file.length - 1000);
    const tailStart = cut.length - 7000;
    expect(lastWholeFragment(cut.subarray(tailStart), tailStart)).toEqual({ start: lastStart - 4090, end: lastStart });
  });

  it('no whole fragment in the tail: null', () => {
    const tailStart = file.length - 2000;
    expect(lastWholeFragment(file.subarray(tailStart), tailStart)).toBeNull();
  });
});
