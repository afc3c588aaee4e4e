/** Writes a transcript's three renderings (JSON, TXT, WebVTT) side by side. */
import { writeFile } from 'node:fs/promises';
import { transcriptToJson, transcriptToTxt, transcriptToVtt, type Transcript } from '../transcription/index.ts';
import type { TranscriptFiles } from './transcript-phrase.ts';

export async function writeTranscriptFiles(t: Transcript, files: TranscriptFiles): Promise<void> {
  await Promise.all([
    writeFile(files.json, transcriptToJson(t), { mode: 0o640 }),
    writeFile(files.txt, transcriptToTxt(t), { mode: 0o640 }),
    writeFile(files.vtt, transcriptToVtt(t), { mode: 0o640 }),
  ]);
}
