import { describe, expect, it } from 'vitest';
import { parseSphinxTranscription } from '../../../bench/lib/librivox.ts';

describe('LibriVox reference text', () => {
  it('reads pocketsphinx test transcription lines', () => {
    const text = '<s> he was not an ill disposed young man </s> (sense_and_sensibility_01_austen_64kb-0880)\n\nhello  world (x-1)\n';
    expect(parseSphinxTranscription(text)).toEqual([
      { id: 'sense_and_sensibility_01_austen_64kb-0880', text: 'he was not an ill disposed young man' },
      { id: 'x-1', text: 'hello world' },
    ]);
  });
});
