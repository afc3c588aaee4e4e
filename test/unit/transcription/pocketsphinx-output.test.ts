import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyPocketsphinxLine,
  isFillerSegment,
  LineSplitter,
  PocketsphinxUtteranceAssembler,
  type PocketsphinxUtterance,
} from '../../../src/transcription/pocketsphinx-output.ts';
import { pocketsphinxArgs, pocketsphinxSpawnPlan } from '../../../src/transcription/pocketsphinx-engine.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/pocketsphinx');
const raw = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

/** Feeds a captured stdout through the splitter and assembler in chunks of `size` characters, then EOF. */
function assemble(text: string, size = 1 << 20): PocketsphinxUtterance[] {
  const lines = new LineSplitter();
  const assembler = new PocketsphinxUtteranceAssembler();
  const out: PocketsphinxUtterance[] = [];
  for (let i = 0; i < text.length; i += size) for (const line of lines.push(text.slice(i, i + size))) out.push(...assembler.push(line));
  for (const line of lines.end()) out.push(...assembler.push(line));
  out.push(...assembler.flush());
  return out;
}

describe('classifyPocketsphinxLine (real pocketsphinx 5prealpha output)', () => {
  it('tells hypothesis lines from segment lines', () => {
    expect(classifyPocketsphinxLine('greece and we all are')).toEqual({ kind: 'hypothesis', text: 'greece and we all are' });
    expect(classifyPocketsphinxLine('and(2) 2.730 2.980 0.917769')).toEqual({
      kind: 'segment',
      word: 'and(2)',
      startSec: 2.73,
      endSec: 2.98,
      posterior: 0.917769,
    });
    expect(classifyPocketsphinxLine('</s> 1.680 1.870 1.000000')).toMatchObject({ kind: 'segment', word: '</s>' });
    expect(classifyPocketsphinxLine('<s> 1.180 1.310 1.000100')).toMatchObject({ kind: 'segment', posterior: 1.0001 });
    expect(classifyPocketsphinxLine('')).toEqual({ kind: 'hypothesis', text: '' });
  });

  it('knows fillers', () => {
    expect(['<s>', '</s>', '<sil>', '[NOISE]', '++UM++'].every(isFillerSegment)).toBe(true);
    expect(['the', 'and(2)', 'shh'].some(isFillerSegment)).toBe(false);
  });
});

describe('PocketsphinxUtteranceAssembler', () => {
  it('turns the six-voice stream into twelve utterances with word times on the stream clock', () => {
    const utterances = assemble(raw('six-voices.txt'));
    expect(utterances.map((u) => u.text)).toEqual([
      'unlimited are a secondary',
      'greece and we all are',
      'we shall we can get for a week',
      'that really got on you',
      'i told you on',
      'the car is parked outside',
      'the thing is the product and the',
      'thank you for their work',
      'the coffee in the tool',
      'so start eating ah',
      'my system you can really',
      'we will tighten the green',
    ]);
    // "greece and(2) we <sil> all are(2)": fillers out, pronunciation marks off, ends one 10 ms frame later.
    expect(utterances[1]).toEqual({
      text: 'greece and we all are',
      startSec: 2.32,
      endSec: 3.67,
      confidence: 0.47, // mean of the five words' posteriors, to 3 decimals
      words: [
        { word: 'greece', startSec: 2.32, endSec: 2.73 },
        { word: 'and', startSec: 2.73, endSec: 2.99 },
        { word: 'we', startSec: 2.99, endSec: 3.18 },
        { word: 'all', startSec: 3.4, endSec: 3.58 },
        { word: 'are', startSec: 3.58, endSec: 3.67 },
      ],
    });
    // Times keep counting across utterances (seconds since the process started).
    expect(utterances.at(-1)).toMatchObject({ startSec: 29.72, endSec: 31.28 });
    for (let i = 1; i < utterances.length; i++) expect(utterances[i]!.startSec).toBeGreaterThanOrEqual(utterances[i - 1]!.endSec);
  });

  it('gives the same utterances whatever the chunking of stdout', () => {
    const whole = assemble(raw('six-voices.txt'));
    expect(assemble(raw('six-voices.txt'), 7)).toEqual(whole);
    expect(assemble(raw('six-voices.txt'), 100)).toEqual(whole);
  });

  it('drops a noise-only utterance (empty hypothesis) and keeps a false hit', () => {
    expect(assemble(raw('beep-and-noise.txt'))).toEqual([
      { text: 'shh', startSec: 1.32, endSec: 1.66, confidence: 0.003, words: [{ word: 'shh', startSec: 1.32, endSec: 1.66 }] },
    ]);
  });

  it('completes an utterance at </s>, at the next hypothesis, or at flush()', () => {
    const a = new PocketsphinxUtteranceAssembler();
    expect(a.push('hello world')).toEqual([]);
    expect(a.push('hello 0.100 0.500 0.9')).toEqual([]);
    expect(a.hasPending).toBe(true);
    // No </s>: the next hypothesis completes it.
    expect(a.push('again').map((u) => u.text)).toEqual(['hello world']);
    expect(a.push('again 1.000 1.400 0.5')).toEqual([]);
    expect(a.flush()).toEqual([
      { text: 'again', startSec: 1, endSec: 1.41, confidence: 0.5, words: [{ word: 'again', startSec: 1, endSec: 1.41 }] },
    ]);
    expect(a.flush()).toEqual([]);
    expect(a.hasPending).toBe(false);
  });

  it('clamps posteriors above 1 (pocketsphinx prints 1.000100)', () => {
    const a = new PocketsphinxUtteranceAssembler();
    a.push('yes');
    expect(a.push('yes 0.000 0.200 1.000100')).toEqual([]);
    expect(a.push('</s> 0.210 0.400 1.000000')[0]!.confidence).toBe(1);
  });
});

describe('LineSplitter', () => {
  it('keeps a partial line for the next chunk and drops CR', () => {
    const s = new LineSplitter();
    expect(s.push('a\r\nb')).toEqual(['a']);
    expect(s.push('c\nd')).toEqual(['bc']);
    expect(s.end()).toEqual(['d']);
    expect(s.end()).toEqual([]);
  });
});

describe('pocketsphinx spawn plan', () => {
  it('reads raw PCM from stdin with word times, model paths only when given', () => {
    expect(pocketsphinxArgs({})).toEqual(['-infile', '/dev/stdin', '-time', 'yes']);
    expect(pocketsphinxArgs({ hmmPath: '/m/en-us', lmPath: '/m/en-us.lm.bin', dictPath: '/m/cmudict-en-us.dict' })).toEqual([
      '-infile',
      '/dev/stdin',
      '-time',
      'yes',
      '-hmm',
      '/m/en-us',
      '-lm',
      '/m/en-us.lm.bin',
      '-dict',
      '/m/cmudict-en-us.dict',
    ]);
  });

  it('puts a real pipe (cat) before pocketsphinx; with setpriv both die with their parent', () => {
    expect(pocketsphinxSpawnPlan('pocketsphinx_continuous', ['-time', 'yes'], '/usr/bin/setpriv')).toEqual({
      program: '/usr/bin/setpriv',
      args: [
        '--pdeathsig',
        'SIGKILL',
        '--',
        'bash',
        '-c',
        'exec "$@" < <(exec /usr/bin/setpriv --pdeathsig SIGKILL -- cat)',
        'pocketsphinx',
        'pocketsphinx_continuous',
        '-time',
        'yes',
      ],
    });
    expect(pocketsphinxSpawnPlan('ps', ['-x'], null)).toEqual({
      program: 'bash',
      args: ['-c', 'exec "$@" < <(exec cat)', 'pocketsphinx', 'ps', '-x'],
    });
  });
});
