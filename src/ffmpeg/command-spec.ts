/**
 * An ffmpeg command line as data. Builders in this folder return one of these; `toArgv` flattens it in
 * ffmpeg's own order (global options, then each input's options before its `-i`, then each output's options
 * before its target). The process wrapper spawns exactly `toArgv(spec)`, nothing added or reordered.
 */
import { ScribaError } from '../domain/errors.ts';

export interface FfmpegInput {
  /** Options that apply to this input (`-f`, `-thread_queue_size`, `-itsoffset`, …), placed before `-i`. */
  readonly options: readonly string[];
  /** What follows `-i`: a path, a URL, a device name (`:12+0,0`, `scriba.monitor`) or a lavfi graph. */
  readonly source: string;
}

export interface FfmpegOutput {
  /** Options that apply to this output (codecs, maps, muxer flags), placed before the target. */
  readonly options: readonly string[];
  /** A path, a URL, or `-` for stdout. */
  readonly target: string;
}

export interface FfmpegCommandSpec {
  readonly globalOptions: readonly string[];
  readonly inputs: readonly FfmpegInput[];
  readonly outputs: readonly FfmpegOutput[];
}

/** Flattens a spec into ffmpeg's argument list (without the program name). Pure. */
export function toArgv(spec: FfmpegCommandSpec): string[] {
  if (spec.outputs.length === 0) {
    throw new ScribaError('internal', 'an ffmpeg command needs at least one output');
  }
  const argv: string[] = [...spec.globalOptions];
  for (const input of spec.inputs) {
    checkOperand(input.source, 'input source');
    argv.push(...input.options, '-i', input.source);
  }
  for (const output of spec.outputs) {
    checkOperand(output.target, 'output target');
    argv.push(...output.options, output.target);
  }
  return argv;
}

/**
 * A source or target that starts with `-` would be read by ffmpeg as an option (ffmpeg has no `--`);
 * only `-` itself (stdin/stdout) is allowed. A path that really starts with `-` can be written `file:-x`.
 */
function checkOperand(value: string, what: string): void {
  if (value === '') throw new ScribaError('internal', `ffmpeg ${what} is empty`);
  if (value.startsWith('-') && value !== '-') {
    throw new ScribaError('internal', `ffmpeg ${what} "${value}" would be read as an option; prefix it with file:`);
  }
}
