/**
 * Real read speech with reference text: the LibriVox clips (Jane Austen, "Sense and Sensibility", five
 * utterances, ~25 s, 16 kHz mono WAV) that Debian's `pocketsphinx-testdata` installs for pocketsphinx's own
 * tests (scripts/packages-test.txt). Read into the same shape as the synthetic voices, one clip per "voice"
 * with a single sentence, so bench/lib/wer-direct.ts measures any engine on them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CorpusVoice, wavToPcm } from './wer-direct.ts';

export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

/** `<s> words </s> (file-id)` lines → file id and reference text. Pure. */
export function parseSphinxTranscription(text: string): Array<{ id: string; text: string }> {
  const out: Array<{ id: string; text: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:<s>)?\s*(.*?)\s*(?:<\/s>)?\s*\(([^()\s]+)\)\s*$/.exec(line);
    if (m)
      out.push({
        id: m[2]!,
        text: m[1]!
          .replace(/<\/?s>/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      });
  }
  return out;
}

/** The clips, or null when the package is not installed. */
export function loadLibrivoxCorpus(dir: string = LIBRIVOX_DIR): CorpusVoice[] | null {
  const transcription = path.join(dir, 'transcription');
  if (!existsSync(transcription)) return null;
  return parseSphinxTranscription(readFileSync(transcription, 'utf8')).map((clip, i) => {
    const pcm = wavToPcm(readFileSync(path.join(dir, `${clip.id}.wav`)));
    const sec = pcm.length / 2 / 16_000;
    return {
      index: i + 1,
      displayName: clip.id,
      voice: `librivox:${clip.id.replace(/^.*-/, '')}`,
      pcm,
      sentences: [{ text: clip.text, pcm, startSec: 0, endSec: sec }],
    };
  });
}
