/**
 * Word error rate: (substitutions + deletions + insertions) / reference words, by Levenshtein distance on
 * normalized words. Pure.
 *
 * Normalization makes formatting differences free: lowercase, punctuation dropped (apostrophes inside words
 * kept), hyphens split words, digits spelled out as espeak-ng and pocketsphinx say them ("9" → "nine",
 * "21" → "twenty one", "3.5" → "three point five"), and pocketsphinx's alternative-pronunciation marks
 * ("the(2)") and fillers ("<sil>", "[noise]") removed.
 */

const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: ReadonlyArray<readonly [number, string]> = [
  [1e9, 'billion'],
  [1e6, 'million'],
  [1e3, 'thousand'],
  [1e2, 'hundred'],
];

/** A non-negative integer in words, e.g. 1234 → "one thousand two hundred thirty four". */
export function numberToWords(n: number): string[] {
  if (!Number.isSafeInteger(n) || n < 0) return [String(n)];
  if (n < 20) return [ONES[n]!];
  if (n < 100) return n % 10 === 0 ? [TENS[Math.floor(n / 10)]!] : [TENS[Math.floor(n / 10)]!, ONES[n % 10]!];
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      const rest = n % scale;
      return [...numberToWords(Math.floor(n / scale)), name, ...(rest === 0 ? [] : numberToWords(rest))];
    }
  }
  return [String(n)];
}

function spellNumber(token: string): string[] {
  const [whole = '', fraction] = token.split('.');
  const words = numberToWords(Number(whole));
  if (fraction === undefined || fraction === '') return words;
  return [...words, 'point', ...[...fraction].map((d) => ONES[Number(d)]!)];
}

export function normalizeWords(text: string): string[] {
  const cleaned = text
    .toLowerCase()
    .replace(/\(\d+\)/g, '') // pocketsphinx: "the(2)"
    .replace(/<[^>]*>|\[[^\]]*\]|\+\+[^+]*\+\+/g, ' ') // fillers: <sil>, [noise], ++um++
    .replace(/(\d),(?=\d{3}\b)/g, '$1') // 1,000 → 1000
    .replace(/[‘’]/g, "'");
  const out: string[] = [];
  for (const raw of cleaned.split(/[^a-z0-9'.]+/)) {
    // Dots: a decimal point between digits stays, any other (sentence end, abbreviation) splits.
    for (const part of raw.split(/(?<!\d)\.|\.(?!\d)/)) {
      const token = part.replace(/^'+|'+$/g, '');
      if (token === '') continue;
      if (/^\d+(\.\d+)?$/.test(token)) out.push(...spellNumber(token));
      else out.push(...token.split(/(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)/).flatMap((t) => (/^\d+$/.test(t) ? spellNumber(t) : [t])));
    }
  }
  return out;
}

export interface WerResult {
  /** errors / referenceWords; with an empty reference, 0 when the hypothesis is empty too, else 1. */
  readonly wer: number;
  readonly errors: number;
  readonly referenceWords: number;
  readonly substitutions: number;
  readonly deletions: number;
  readonly insertions: number;
}

/** Levenshtein alignment of word lists, counting each kind of edit. */
export function alignWords(reference: readonly string[], hypothesis: readonly string[]): WerResult {
  const n = reference.length;
  const m = hypothesis.length;
  // cost[i][j] over reference[0..i) × hypothesis[0..j); ties prefer substitution, then deletion.
  const cost: number[][] = Array.from({ length: n + 1 }, (_, i) =>
    Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const same = reference[i - 1] === hypothesis[j - 1] ? 0 : 1;
      cost[i]![j] = Math.min(cost[i - 1]![j - 1]! + same, cost[i - 1]![j]! + 1, cost[i]![j - 1]! + 1);
    }
  }
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = cost[i]![j]!;
    if (i > 0 && j > 0 && here === cost[i - 1]![j - 1]! + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1)) {
      if (reference[i - 1] !== hypothesis[j - 1]) substitutions++;
      i--;
      j--;
    } else if (i > 0 && here === cost[i - 1]![j]! + 1) {
      deletions++;
      i--;
    } else {
      insertions++;
      j--;
    }
  }
  const errors = substitutions + deletions + insertions;
  return { wer: n === 0 ? (m === 0 ? 0 : 1) : errors / n, errors, referenceWords: n, substitutions, deletions, insertions };
}

export function wordErrorRate(reference: string, hypothesis: string): WerResult {
  return alignWords(normalizeWords(reference), normalizeWords(hypothesis));
}

/** Corpus WER: all errors over all reference words (not the mean of per-item rates). */
export function combineWer(results: readonly WerResult[]): WerResult {
  const sum = (key: 'errors' | 'referenceWords' | 'substitutions' | 'deletions' | 'insertions'): number =>
    results.reduce((total, r) => total + r[key], 0);
  const referenceWords = sum('referenceWords');
  const errors = sum('errors');
  return {
    wer: referenceWords === 0 ? (errors === 0 ? 0 : 1) : errors / referenceWords,
    errors,
    referenceWords,
    substitutions: sum('substitutions'),
    deletions: sum('deletions'),
    insertions: sum('insertions'),
  };
}
