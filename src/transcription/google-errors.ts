/**
 * What a failed Google stream means for the transcription. Pure.
 * - 'restart': the stream hit Google's limits (OUT_OF_RANGE: about 305 s per stream, or no audio for a
 *   while): open a new one and resend the audio after the last final result.
 * - 'retry': transient (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ABORTED, UNKNOWN): the same, after a
 *   backoff and a bounded number of times.
 * - 'fatal': credentials, quota or a bad request: reported, never retried blindly.
 */
import { SpeechEngineError } from './speech-errors.ts';

export const GRPC_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

export type GoogleFailure =
  | { readonly kind: 'restart'; readonly status: string; readonly message: string }
  | { readonly kind: 'retry'; readonly status: string; readonly message: string }
  | { readonly kind: 'fatal'; readonly error: SpeechEngineError };

/** The gRPC status code of whatever a call failed with (grpc-js ServiceError, GoogleError), else null. */
export function grpcCodeOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && Number.isInteger(code) ? code : null;
}

function detailsOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const details = (err as { details?: unknown }).details;
  if (typeof details === 'string' && details !== '') return details;
  return err instanceof Error ? err.message : String(err);
}

export function classifyGoogleFailure(err: unknown, label: string): GoogleFailure {
  const code = grpcCodeOf(err);
  const status = code === null ? 'UNKNOWN' : (GRPC_STATUS_NAMES[code] ?? `code ${code}`);
  const details = detailsOf(err);
  const cause = { cause: err, engineCode: status };
  switch (status) {
    case 'OUT_OF_RANGE':
      return { kind: 'restart', status, message: details };
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
    case 'INTERNAL':
    case 'ABORTED':
    case 'UNKNOWN':
    case 'CANCELLED': // we cancel only streams we no longer listen to: this one came from elsewhere
      return { kind: 'retry', status, message: details };
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return {
        kind: 'fatal',
        error: new SpeechEngineError(
          'auth',
          `Google Speech-to-Text refused the credentials for ${label} (${status}: ${details}). Check the service ` +
            'account key (GOOGLE_APPLICATION_CREDENTIALS), its roles, and that the Speech-to-Text API is enabled ' +
            'for its project. Not retried.',
          cause,
        ),
      };
    case 'RESOURCE_EXHAUSTED':
      return {
        kind: 'fatal',
        error: new SpeechEngineError(
          'quota',
          `Google Speech-to-Text quota or rate limit exceeded for ${label} (${status}: ${details}). Not retried: ` +
            'raise the project quota or run fewer concurrent transcriptions.',
          cause,
        ),
      };
    default:
      return {
        kind: 'fatal',
        error: new SpeechEngineError(
          'invalid_request',
          `Google Speech-to-Text rejected the stream for ${label} (${status}: ${details})`,
          cause,
        ),
      };
  }
}
