import { describe, expect, it } from 'vitest';
import { EndlessStreamBook, type EndlessStreamLimits } from '../../../src/transcription/endless-stream.ts';
import type { StreamRelativeResult } from '../../../src/transcription/google-results.ts';

// 1 kHz keeps the numbers small: 2,000 bytes per second.
const LIMITS: EndlessStreamLimits = { sampleRateHertz: 1_000, streamLimitSec: 10, maxResendSec: 4, maxRequestBytes: 5_000 };
const BPS = 2_000;

/** Audio whose every sample says where it is (its sample index, mod 32768), so slices are checkable. */
function audio(fromSec: number, toSec: number): Buffer {
  const buf = Buffer.alloc((toSec - fromSec) * BPS);
  for (let i = 0; i < buf.length / 2; i++) buf.writeInt16LE((fromSec * 1_000 + i) % 32_768, i * 2);
  return buf;
}
const firstSample = (b: Buffer): number => b.readInt16LE(0);

const final = (resultEndSec: number, text = 'x', words: StreamRelativeResult['words'] = []): StreamRelativeResult => ({
  final: true,
  text,
  confidence: 0.9,
  resultEndSec,
  words,
});

function drain(book: EndlessStreamBook, now = 0): Buffer[] {
  const out: Buffer[] = [];
  for (let next = book.next(now); next.kind === 'audio'; next = book.next(now)) out.push(next.audio);
  return out;
}

describe('EndlessStreamBook', () => {
  it('sends audio in requests of at most maxRequestBytes', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 6));
    expect(book.open(0, true)).toEqual({ startByte: 0, resendBytes: 0, droppedBytes: 0 });
    const sent = drain(book);
    expect(sent.map((b) => b.length)).toEqual([5_000, 5_000, 2_000]);
    expect(Buffer.concat(sent).equals(audio(0, 6))).toBe(true);
    expect(book.unsentBytes).toBe(0);
    expect(book.next(0)).toEqual({ kind: 'none' });
  });

  it('offsets results by where the stream started and confirms audio up to each final', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 8));
    book.open(0, true);
    drain(book);
    expect(book.accept(final(3, 'one', [{ word: 'one', startSec: 1, endSec: 3 }]))).toEqual({
      final: true,
      text: 'one',
      confidence: 0.9,
      startSec: 1,
      endSec: 3,
      words: [{ word: 'one', startSec: 1, endSec: 3 }],
    });
    expect(book.confirmedByte).toBe(3 * BPS);
    expect(book.unconfirmedBytes).toBe(5 * BPS);
    book.close();
    // The next stream starts at the last final's end and is sent the tail again.
    expect(book.open(0, false)).toEqual({ startByte: 3 * BPS, resendBytes: 5 * BPS, droppedBytes: 0 });
    const resent = Buffer.concat(drain(book));
    expect(resent.equals(audio(3, 8))).toBe(true);
    // Its clock starts at 3 s of the timeline.
    expect(book.accept(final(2, 'two', [{ word: 'two', startSec: 0.5, endSec: 2 }]))).toMatchObject({ startSec: 3.5, endSec: 5 });
    expect(book.lastFinalEndSec).toBe(5);
  });

  it('never emits a final twice and never lets finals overlap', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 8));
    book.open(0, true);
    drain(book);
    expect(book.accept(final(4))).not.toBeNull();
    expect(book.accept(final(4))).toBeNull(); // the same end again
    expect(book.accept(final(3.5))).toBeNull(); // inside what is confirmed
    // Words that reach back before the previous final are clamped to its end.
    expect(book.accept(final(6, 'y', [{ word: 'y', startSec: 3, endSec: 6 }]))).toMatchObject({
      startSec: 4,
      endSec: 6,
      words: [{ startSec: 4, endSec: 6 }],
    });
  });

  it('starts a phrase without word times at the previous final’s end; interims do not confirm', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 8));
    book.open(0, true);
    drain(book);
    expect(book.accept({ final: false, text: 'partial', confidence: null, resultEndSec: 2, words: [] })).toEqual({
      final: false,
      text: 'partial',
      confidence: null,
      startSec: 0,
      endSec: 2,
      words: [],
    });
    expect(book.confirmedByte).toBe(0);
    book.accept(final(2.5));
    expect(book.accept(final(5, 'next'))).toMatchObject({ startSec: 2.5, endSec: 5 });
    // An empty final confirms (nothing was said) but emits nothing.
    expect(book.accept(final(6, ''))).toBeNull();
    expect(book.confirmedByte).toBe(6 * BPS);
  });

  it('cannot confirm audio the stream was not sent', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 2));
    book.open(0, true);
    drain(book);
    book.append(audio(2, 4)); // written, not yet sent
    expect(book.accept(final(3))).toMatchObject({ endSec: 2 });
    expect(book.confirmedByte).toBe(2 * BPS);
  });

  it('asks for a handover at streamLimitSec of audio on one stream, or of wall time', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 12));
    book.open(0, true);
    expect(Buffer.concat(drain(book)).length).toBe(10 * BPS); // exactly up to the limit
    expect(book.next(0)).toEqual({ kind: 'limit' });
    book.accept(final(7));
    book.close();
    expect(book.open(0, true)).toEqual({ startByte: 7 * BPS, resendBytes: 3 * BPS, droppedBytes: 0 });
    expect(firstSample(drain(book)[0]!)).toBe(7_000);

    const timed = new EndlessStreamBook(LIMITS);
    timed.append(audio(0, 1));
    timed.open(1_000, true);
    drain(timed, 1_000);
    timed.append(audio(1, 2));
    expect(timed.next(10_999)).toMatchObject({ kind: 'audio' });
    timed.append(audio(2, 3));
    expect(timed.next(11_000)).toEqual({ kind: 'limit' });
    // Nothing to send: no reason to hand over yet.
    const idle = new EndlessStreamBook(LIMITS);
    idle.open(0, true);
    expect(idle.next(60_000)).toEqual({ kind: 'none' });
  });

  it('sends again at most maxResendSec of a tail heard in full, all of it after a failure', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 10));
    book.open(0, true);
    drain(book);
    book.accept(final(1));
    book.close();
    // Heard in full (clean handover): 9 s of tail → the last 4 s.
    const capped = new EndlessStreamBook(LIMITS);
    capped.append(audio(0, 10));
    capped.open(0, true);
    drain(capped);
    capped.accept(final(1));
    capped.close();
    expect(capped.open(0, true)).toEqual({ startByte: 6 * BPS, resendBytes: 4 * BPS, droppedBytes: 5 * BPS });
    expect(firstSample(drain(capped)[0]!)).toBe(6_000);
    // After a failure nobody knows what was heard: the whole tail.
    expect(book.open(0, false)).toEqual({ startByte: 1 * BPS, resendBytes: 9 * BPS, droppedBytes: 0 });
  });

  it('abandons the heard part of a tail without finals, keeping its end', () => {
    const book = new EndlessStreamBook(LIMITS);
    book.append(audio(0, 8));
    book.open(0, true);
    drain(book);
    book.append(audio(8, 9)); // never sent: never abandoned
    book.close();
    expect(book.abandonSent(3 * BPS)).toBe(5 * BPS);
    expect(book.open(0, false)).toEqual({ startByte: 5 * BPS, resendBytes: 3 * BPS, droppedBytes: 0 });
    expect(Buffer.concat(drain(book)).equals(audio(5, 9))).toBe(true);
  });

  it('refuses limits that could never make progress', () => {
    expect(() => new EndlessStreamBook({ ...LIMITS, maxResendSec: 10 })).toThrow(RangeError);
    expect(() => new EndlessStreamBook({ ...LIMITS, maxRequestBytes: 1 })).toThrow(RangeError);
  });
});
