/**
 * How an ffmpeg run ended, and the pure rules that turn that into success or a ScribaError.
 */
import { ScribaError } from '../domain/errors.ts';
import type { FfmpegProgress } from './progress-parser.ts';

export interface FfmpegExit {
  /** Exit code, null when the process was ended by a signal or never started. */
  readonly code: number | null;
  /** Signal name ('SIGKILL', …) when ended by a signal, else null. */
  readonly signal: string | null;
  /** True when stop() (or the abort signal) asked it to end. */
  readonly stoppedByUs: boolean;
  /** The last error line ffmpeg printed; for a failed run without one, the last line it printed or the spawn
   *  error. Null for clean runs that printed no error. */
  readonly lastError: string | null;
  readonly lastProgress: FfmpegProgress | null;
  /** The last non-progress stderr lines (level tag and context addresses removed), oldest first. */
  readonly stderrTail: readonly string[];
}

/**
 * ffmpeg 5.1 exits with 255 after it finished cleanly on SIGINT ("Exiting normally, received signal 2."),
 * not 0, so a stop we asked for that ends with 255 is a success.
 */
export const FFMPEG_EXIT_CODE_AFTER_SIGNAL = 255;

export function isCleanFfmpegExit(exit: FfmpegExit): boolean {
  if (exit.code === 0) return true;
  return exit.stoppedByUs && exit.code === FFMPEG_EXIT_CODE_AFTER_SIGNAL && exit.signal === null;
}

/** Network failures towards an output or input (an RTMP ingest restarting, say) may pass on a retry. */
const RETRYABLE = /Connection refused|Connection timed out|Connection reset|Broken pipe|Network is unreachable|Server returned 5\d\d/;

/** Null for a clean exit; otherwise a session-scoped 'ffmpeg_failed' error naming what failed and why. */
export function ffmpegExitToError(exit: FfmpegExit, what = 'ffmpeg'): ScribaError | null {
  if (isCleanFfmpegExit(exit)) return null;
  const how =
    exit.signal !== null
      ? `was killed by ${exit.signal}${exit.stoppedByUs ? ' after not finishing in time' : ''}`
      : exit.code === null
        ? 'did not start'
        : `exited with code ${exit.code}`;
  const why = exit.lastError === null ? '' : `: ${exit.lastError}`;
  return new ScribaError('ffmpeg_failed', `${what} ${how}${why}`, {
    scope: 'session',
    retryable: exit.lastError !== null && RETRYABLE.test(exit.lastError),
  });
}
