/**
 * Parses what `pocketsphinx_continuous -infile /dev/stdin -time yes` prints on stdout (pocketsphinx 5prealpha,
 * Debian's 0.8+5prealpha): per utterance, once its voice activity detector sees the phrase end (or at EOF),
 * one hypothesis line, then one line per segment `word start end posterior`:
 *
 *   greece and we all are
 *   <s> 2.210 2.310 0.999500
 *   greece 2.320 2.720 0.054972
 *   and(2) 2.730 2.980 0.917769
 *   <sil> 3.180 3.390 0.954750
 *   </s> 3.670 4.090 1.000000
 *
 * Times are seconds of audio since the process started (they keep counting across utterances); the end is
 * the segment's last 10 ms frame, so its true end is one frame later. `word(2)` names an alternative
 * pronunciation. Noise alone gives an empty hypothesis line and only <s>/</s>. Pure; tested on captured
 * output (test/fixtures/pocketsphinx/).
 */
import type { SpeechWord } from './speech-engine.ts';

/** pocketsphinx's default -frate: 100 frames per second. */
const FRAME_SEC = 0.01;

export type PocketsphinxLine =
  | { readonly kind: 'hypothesis'; readonly text: string }
  | { readonly kind: 'segment'; readonly word: string; readonly startSec: number; readonly endSec: number; readonly posterior: number };

const SEGMENT = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/;

export function classifyPocketsphinxLine(line: string): PocketsphinxLine {
  const m = SEGMENT.exec(line.trimEnd());
  if (m === null) return { kind: 'hypothesis', text: line.trim().replace(/\s+/g, ' ') };
  return { kind: 'segment', word: m[1]!, startSec: Number(m[2]), endSec: Number(m[3]), posterior: Number(m[4]) };
}

export interface PocketsphinxUtterance {
  readonly text: string;
  readonly startSec: number;
  readonly endSec: number;
  /** Mean of the words' posteriors (clamped to 0–1); null without words. */
  readonly confidence: number | null;
  readonly words: readonly SpeechWord[];
}

/** Sentence markers, silence and fillers ([NOISE], ++UM++): segments that are not words. */
export function isFillerSegment(word: string): boolean {
  return /^<.*>$/.test(word) || /^\[.*\]$/.test(word) || /^\+\+.*\+\+$/.test(word);
}

const roundMs = (sec: number): number => Math.round(sec * 1000) / 1000;

interface Pending {
  text: string | null;
  readonly segments: Array<Extract<PocketsphinxLine, { kind: 'segment' }>>;
}

/**
 * Groups lines into utterances. An utterance ends at its `</s>` segment, at the next hypothesis line, or at
 * flush() (EOF). Utterances without a word (noise, silence) are dropped.
 */
export class PocketsphinxUtteranceAssembler {
  #pending: Pending | null = null;

  push(line: string): PocketsphinxUtterance[] {
    const parsed = classifyPocketsphinxLine(line);
    const out: PocketsphinxUtterance[] = [];
    if (parsed.kind === 'hypothesis') {
      out.push(...this.flush());
      this.#pending = { text: parsed.text, segments: [] };
      return out;
    }
    this.#pending ??= { text: null, segments: [] };
    this.#pending.segments.push(parsed);
    if (parsed.word === '</s>') out.push(...this.flush());
    return out;
  }

  /** Completes the utterance in progress, if any. */
  flush(): PocketsphinxUtterance[] {
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return [];
    const utterance = toUtterance(pending);
    return utterance === null ? [] : [utterance];
  }

  get hasPending(): boolean {
    return this.#pending !== null;
  }
}

function toUtterance(pending: Pending): PocketsphinxUtterance | null {
  const wordSegments = pending.segments.filter((s) => !isFillerSegment(s.word));
  const words: SpeechWord[] = wordSegments.map((s) => ({
    word: s.word.replace(/\(\d+\)$/, ''),
    startSec: roundMs(s.startSec),
    endSec: roundMs(s.endSec + FRAME_SEC),
  }));
  const text = pending.text !== null && pending.text !== '' ? pending.text : words.map((w) => w.word).join(' ');
  if (text === '') return null;
  const first = words[0];
  const last = words.at(-1);
  // A hypothesis without segments (never seen, but cheap to survive): times from whatever segments exist.
  const startSec = first?.startSec ?? roundMs(pending.segments[0]?.startSec ?? 0);
  const endSec = last?.endSec ?? roundMs((pending.segments.at(-1)?.endSec ?? startSec) + FRAME_SEC);
  const confidence =
    wordSegments.length === 0
      ? null
      : roundMs(wordSegments.reduce((sum, s) => sum + Math.min(1, Math.max(0, s.posterior)), 0) / wordSegments.length);
  return { text, startSec, endSec, confidence, words };
}

/** Splits a byte stream into lines (LF; a CR before it is dropped); end() returns the unterminated rest. */
export class LineSplitter {
  #rest = '';

  push(chunk: string): string[] {
    const lines = (this.#rest + chunk).split('\n');
    this.#rest = lines.pop() ?? '';
    return lines.map((l) => l.replace(/\r$/, ''));
  }

  end(): string[] {
    const rest = this.#rest;
    this.#rest = '';
    return rest === '' ? [] : [rest.replace(/\r$/, '')];
  }
}
