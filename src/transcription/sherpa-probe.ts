/**
 * sherpa-onnx aborts the whole process (an uncaught C++ exception: SIGABRT) when a model file is corrupt or
 * of the wrong kind, instead of throwing into JavaScript. So a model is first loaded in a short-lived child
 * Node process: only when that succeeds does the worker load it itself. The verdict is kept per model (its
 * files' sizes and modification times), so each session after the first pays nothing.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SpeechEngineError } from './speech-errors.ts';

export type SherpaRecognizerKind = 'online' | 'offline';

const verdicts = new Map<string, Promise<void>>();

/** Identifies the model files as they are now. */
function fingerprint(kind: SherpaRecognizerKind, config: unknown, files: readonly string[]): string {
  const stats = files.map((f) => {
    try {
      const s = statSync(f);
      return `${f}:${s.size}:${s.mtimeMs}`;
    } catch {
      return `${f}:missing`;
    }
  });
  return `${kind}|${JSON.stringify(config)}|${stats.join('|')}`;
}

const CHILD = `
const sherpa = require(process.argv[1]);
const kind = process.argv[2];
const config = JSON.parse(process.argv[3]);
if (kind === 'online') new sherpa.OnlineRecognizer(config);
else new sherpa.OfflineRecognizer(config);
`;

export function probeSherpaRecognizer(
  kind: SherpaRecognizerKind,
  config: unknown,
  files: readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  const key = fingerprint(kind, config, files);
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    const runtime = createRequire(import.meta.url).resolve('sherpa-onnx-node');
    verdict = new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', CHILD, runtime, kind, JSON.stringify(config)],
        { timeout: timeoutMs, maxBuffer: 1 << 20 },
        (err, _stdout, stderr) => {
          if (err === null) return resolve();
          const lines = stderr
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean);
          const why = lines.find((l) => l.startsWith('what():'))?.replace(/^what\(\):\s*/, '') ?? lines.at(-1) ?? err.message;
          reject(new SpeechEngineError('engine_failed', `sherpa-onnx cannot load this model: ${why}`));
        },
      );
    });
    verdicts.set(key, verdict);
    // A failed probe is not remembered: the operator may fix the files.
    verdict.catch(() => verdicts.delete(key));
  }
  return verdict;
}
