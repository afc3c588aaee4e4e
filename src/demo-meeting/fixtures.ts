// The synthetic meeting's media: where it lives, what scripts/make-fixtures.sh promises about it, and how to
// make sure it exists. The recipe itself is the shell script; the numbers here must stay in step with it.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const REPO_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

/** `<repo>/.cache/fixtures`, where make-fixtures.sh writes unless SCRIBA_FIXTURES_DIR says otherwise. */
export const DEFAULT_FIXTURES_DIR: string = path.join(REPO_ROOT, '.cache', 'fixtures');

/** Every clip (participant-N.webm, sync.webm) is exactly this long and loops; speech slots repeat with it. */
export const FIXTURE_CYCLE_SECONDS = 18;
/** Participant N speaks only inside [((N-1) mod 3) * 6, +6) s of each cycle. */
export const FIXTURE_SLOT_SECONDS = 6;
export const FIXTURE_PARTICIPANT_COUNT = 6;

/** Files make-fixtures.sh produces (besides its stamps). camera-N.webm: participant N's camera-like clip. */
export const FIXTURE_FILES: readonly string[] = [
  'sentences.json',
  'sync.webm',
  ...[1, 2, 3, 4, 5, 6].flatMap((n) => [`voice-${n}.wav`, `participant-${n}.webm`, `camera-${n}.webm`]),
];

/** The fixtures directory: `SCRIBA_FIXTURES_DIR` when set (the same variable the script reads), else the default. */
export function resolveFixturesDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env['SCRIBA_FIXTURES_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? path.resolve(fromEnv) : DEFAULT_FIXTURES_DIR;
}

const timeSpan = z.object({ startSeconds: z.number(), endSeconds: z.number() });

const manifestSchema = z.object({
  recipe: z.string(),
  cycleSeconds: z.number(),
  slotSeconds: z.number(),
  voiceSampleRate: z.number(),
  sync: z.object({
    file: z.string(),
    width: z.number(),
    height: z.number(),
    fps: z.number(),
    flashFrames: z.number(),
    pulseSeconds: z.number(),
    periodSeconds: z.number(),
    beepHz: z.number(),
    /** The first pulse of every cycle lasts this long (picture and sound): an unambiguous A/V marker. */
    markerSeconds: z.number(),
  }),
  participants: z.array(
    z.object({
      index: z.number().int(),
      displayName: z.string(),
      voice: z.string(),
      voiceFile: z.string(),
      clipFile: z.string(),
      /** Start of this participant's slot within the cycle. */
      slotOffsetSeconds: z.number(),
      /** Where voice-N.wav's first sample sits in the clip's cycle (voice time = cycle time - this). */
      speechStartSeconds: z.number(),
      speechEndSeconds: z.number(),
      sentences: z.array(z.string()),
      /** Cycle times of each sentence in the clip. */
      sentenceTimes: z.array(timeSpan),
    }),
  ),
});

/** sentences.json: the display names, voices and known sentences (the reference text for WER). */
export type FixtureManifest = z.infer<typeof manifestSchema>;
export type FixtureParticipant = FixtureManifest['participants'][number];

export async function loadFixtureManifest(fixturesDir: string = resolveFixturesDir()): Promise<FixtureManifest> {
  const text = await readFile(path.join(fixturesDir, 'sentences.json'), 'utf8');
  return manifestSchema.parse(JSON.parse(text));
}

/**
 * Runs scripts/make-fixtures.sh for `fixturesDir` (a no-op taking a few ms when the files are current) and
 * resolves to the directory. Rejects with the script's stderr tail when it fails.
 */
export function ensureFixtures(opts: { fixturesDir?: string | undefined; signal?: AbortSignal | undefined } = {}): Promise<string> {
  const dir = opts.fixturesDir ?? resolveFixturesDir();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, 'scripts', 'make-fixtures.sh')], {
      cwd: REPO_ROOT,
      env: { ...process.env, SCRIBA_FIXTURES_DIR: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) resolve(dir);
      else reject(new Error(`make-fixtures.sh failed (${sig ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}
