/** A job's outputs as a session takes them (pure): checked once at the edge, read by kind in the session. */
import { ScribaError } from '../domain/errors.ts';
import type { JobOutput } from '../domain/job-request.ts';
import type { FileOutput, SessionOutputs, StreamOutput, TranscriptionOutput } from './session-types.ts';

/** The outputs as a session needs them: non-empty, at most one of each kind. Throws ScribaError('invalid_request'). */
export function sessionOutputs(outputs: readonly JobOutput[]): SessionOutputs {
  const [first, ...rest] = outputs;
  if (first === undefined) {
    throw new ScribaError('invalid_request', 'nothing to do: ask for at least one of a file, a stream or a transcription');
  }
  const kinds = outputs.map((o) => o.kind);
  const twice = kinds.find((kind, i) => kinds.indexOf(kind) !== i);
  if (twice !== undefined) throw new ScribaError('invalid_request', `at most one ${twice} output per session`);
  return [first, ...rest];
}

export interface OutputsByKind {
  readonly file: FileOutput | null;
  readonly stream: StreamOutput | null;
  readonly transcription: TranscriptionOutput | null;
}

export function outputsByKind(outputs: readonly JobOutput[]): OutputsByKind {
  let file: FileOutput | null = null;
  let stream: StreamOutput | null = null;
  let transcription: TranscriptionOutput | null = null;
  for (const o of outputs) {
    if (o.kind === 'file') file = o;
    else if (o.kind === 'stream') stream = o;
    else transcription = o;
  }
  return { file, stream, transcription };
}
