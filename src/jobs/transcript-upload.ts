/**
 * After a transcribing session: the transcript's three files go to the store under `<sessionId>/<file name>`
 * and the JSON transcript gets a link (TRANSCRIPTION_UPLOADED). Runs before the recording's upload, which
 * removes the session directory the transcript sits in.
 */
import { rm, rmdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { sanitizeSessionId } from '../domain/output-naming.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { TranscriptResult } from '../session/session-types.ts';

/** Store keys of a session's transcript files. Pure. */
export function transcriptKeys(sessionId: string, files: TranscriptResult['files']): { json: string; txt: string; vtt: string } {
  const prefix = sanitizeSessionId(sessionId);
  return { json: `${prefix}/${basename(files.json)}`, txt: `${prefix}/${basename(files.txt)}`, vtt: `${prefix}/${basename(files.vtt)}` };
}

/** Uploads the three files, removes the local copies, returns the JSON's key and link. */
export async function uploadTranscript(
  store: ObjectStore,
  sessionId: string,
  files: TranscriptResult['files'],
  linkTtlSec: number,
  signal: AbortSignal,
): Promise<{ key: string; link: string }> {
  const keys = transcriptKeys(sessionId, files);
  for (const kind of ['json', 'txt', 'vtt'] as const) await store.put(keys[kind], { path: files[kind] }, { signal });
  const link = await store.link(keys.json, linkTtlSec);
  await Promise.all(Object.values(files).map((f) => rm(f, { force: true })));
  // A transcription-only session's directory holds nothing else; with a recording this fails harmlessly.
  await rmdir(dirname(files.json)).catch(() => undefined);
  return { key: keys.json, link };
}
