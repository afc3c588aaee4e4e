import { describe, expect, it } from 'vitest';
import { alignWords, combineWer, normalizeWords, numberToWords, wordErrorRate } from '../../../src/transcription/wer.ts';

describe('normalizeWords', () => {
  it('lowercases, drops punctuation, keeps apostrophes inside words', () => {
    expect(normalizeWords('The weather is nice today. Please send me the report!')).toEqual(
      'the weather is nice today please send me the report'.split(' '),
    );
    expect(normalizeWords("Don't stop, 'quoted' well-known — ok?")).toEqual(["don't", 'stop', 'quoted', 'well', 'known', 'ok']);
    expect(normalizeWords('It’s fine')).toEqual(["it's", 'fine']);
  });

  it('spells numbers as the voices say them', () => {
    expect(normalizeWords('The train leaves at 9.')).toEqual(['the', 'train', 'leaves', 'at', 'nine']);
    expect(normalizeWords('21 people, 1,000 chairs, 3.5 hours, 100 rooms')).toEqual(
      'twenty one people one thousand chairs three point five hours one hundred rooms'.split(' '),
    );
    expect(normalizeWords('room 4b')).toEqual(['room', 'four', 'b']);
  });

  it('drops pocketsphinx pronunciation marks and fillers', () => {
    expect(normalizeWords('the(2) <sil> car [NOISE] ++UM++ is')).toEqual(['the', 'car', 'is']);
  });
});

describe('numberToWords', () => {
  it.each([
    [0, 'zero'],
    [13, 'thirteen'],
    [40, 'forty'],
    [99, 'ninety nine'],
    [305, 'three hundred five'],
    [2024, 'two thousand twenty four'],
    [1_000_000, 'one million'],
  ])('%i → %s', (n, words) => expect(numberToWords(n).join(' ')).toBe(words));
});

describe('wordErrorRate', () => {
  it('is 0 for the same words whatever the formatting', () => {
    expect(wordErrorRate('The train leaves at nine.', 'the train leaves at 9')).toMatchObject({ wer: 0, errors: 0, referenceWords: 5 });
  });

  it('counts substitutions, deletions and insertions', () => {
    expect(wordErrorRate('the weather is nice today', 'the whether is nice')).toEqual({
      wer: 0.4,
      errors: 2,
      referenceWords: 5,
      substitutions: 1,
      deletions: 1,
      insertions: 0,
    });
    expect(wordErrorRate('thank you', 'oh thank you very much')).toMatchObject({ wer: 1.5, insertions: 3, substitutions: 0, deletions: 0 });
    expect(alignWords(['a', 'b', 'c'], ['c', 'b', 'a'])).toMatchObject({ errors: 2, substitutions: 2 });
  });

  it('handles empty sides', () => {
    expect(wordErrorRate('', '')).toMatchObject({ wer: 0, errors: 0 });
    expect(wordErrorRate('', 'noise')).toMatchObject({ wer: 1, insertions: 1 });
    expect(wordErrorRate('two words', '')).toMatchObject({ wer: 1, deletions: 2 });
  });

  it('combines a corpus by words, not by averaging rates', () => {
    const total = combineWer([wordErrorRate('a b c d', 'a b c d'), wordErrorRate('e f', 'x')]);
    expect(total).toEqual({ wer: 2 / 6, errors: 2, referenceWords: 6, substitutions: 1, deletions: 1, insertions: 0 });
    expect(combineWer([]).wer).toBe(0);
  });
});
