import { describe, expect, it } from 'vitest';
import { SubtitleThrottle } from '../../../src/transcription/subtitle-throttle.ts';

function throttle(): SubtitleThrottle {
  let n = 0;
  return new SubtitleThrottle({ minIntervalMs: 500, newId: () => `m${++n}` });
}

describe('SubtitleThrottle', () => {
  it('sends a phrase’s first interim at once, then at most one per 500 ms, all under one id', () => {
    const t = throttle();
    expect(t.interim('a', 'hello', 0)).toBe('m1');
    expect(t.interim('a', 'hello there', 250)).toBeNull();
    expect(t.interim('a', 'hello there', 499)).toBeNull();
    expect(t.interim('a', 'hello there my', 500)).toBe('m1');
    expect(t.interim('a', 'hello there my friend', 750)).toBeNull();
    expect(t.interim('a', 'hello there my friend', 1000)).toBe('m1');
  });

  it('skips empty and unchanged interims, whatever the time', () => {
    const t = throttle();
    expect(t.interim('a', '  ', 0)).toBeNull();
    expect(t.interim('a', 'yes', 0)).toBe('m1');
    expect(t.interim('a', ' yes ', 5000)).toBeNull();
  });

  it('gives the final the id of its interims so it replaces them; the next phrase gets a new id', () => {
    const t = throttle();
    t.interim('a', 'good', 0);
    t.interim('a', 'good morning', 600);
    expect(t.final('a')).toBe('m1');
    // The interval holds across phrases: the speaker's next interim waits for it, then opens a new line.
    expect(t.interim('a', 'how', 650)).toBeNull();
    expect(t.interim('a', 'how are', 1100)).toBe('m2');
    expect(t.final('a')).toBe('m2');
  });

  it('a final without interims gets its own id', () => {
    const t = throttle();
    expect(t.final('a')).toBe('m1');
    expect(t.final('a')).toBe('m2');
  });

  it('throttles each speaker on its own', () => {
    const t = throttle();
    expect(t.interim('a', 'one', 0)).toBe('m1');
    expect(t.interim('b', 'two', 100)).toBe('m2');
    expect(t.interim('a', 'one more', 300)).toBeNull();
    expect(t.interim('b', 'two more', 600)).toBe('m2');
    expect(t.final('b')).toBe('m2');
    expect(t.final('a')).toBe('m1');
  });

  it('withdraws a line whose utterance ended without a final: its id at once, then a new line for the next', () => {
    const t = throttle();
    expect(t.withdraw('a')).toBeNull();
    expect(t.interim('a', 'um', 0)).toBe('m1');
    // Never throttled: the line goes as soon as the utterance is known to have ended.
    expect(t.withdraw('a')).toBe('m1');
    expect(t.withdraw('a')).toBeNull();
    expect(t.interim('a', 'so', 600)).toBe('m2');
    // An empty interim shows nothing and closes nothing.
    expect(t.interim('a', ' ', 1200)).toBeNull();
    expect(t.final('a')).toBe('m2');
  });

  it('withdraws only that speaker’s line', () => {
    const t = throttle();
    t.interim('a', 'one', 0);
    t.interim('b', 'two', 0);
    expect(t.withdraw('a')).toBe('m1');
    expect(t.final('b')).toBe('m2');
  });
});
