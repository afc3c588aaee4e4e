/**
 * Google StreamingRecognizeResponse → results on the stream's own clock (seconds since that gRPC stream's
 * first audio byte). Pure. The decoded messages come from google-gax's protobufjs loader (longs as strings,
 * defaults filled), but tolerate numbers, Long objects and missing fields alike.
 */
import type { SpeechWord } from './speech-engine.ts';

export interface DurationLike {
  readonly seconds?: number | string | { toString(): string } | null;
  readonly nanos?: number | null;
}

export interface ResponseLike {
  readonly error?: { readonly code?: number | null; readonly message?: string | null } | null;
  readonly results?: ReadonlyArray<{
    readonly isFinal?: boolean | null;
    readonly resultEndTime?: DurationLike | null;
    readonly alternatives?: ReadonlyArray<{
      readonly transcript?: string | null;
      readonly confidence?: number | null;
      readonly words?: ReadonlyArray<{
        readonly word?: string | null;
        readonly startTime?: DurationLike | null;
        readonly endTime?: DurationLike | null;
      }> | null;
    }> | null;
  }> | null;
}

/** One result, times relative to the start of the gRPC stream that produced it. */
export interface StreamRelativeResult {
  readonly final: boolean;
  /** May be empty on a final: nothing was said up to resultEndSec (still confirms that audio). */
  readonly text: string;
  readonly confidence: number | null;
  readonly resultEndSec: number;
  readonly words: readonly SpeechWord[];
}

export function durationToSeconds(d: DurationLike | null | undefined): number {
  if (d === null || d === undefined) return 0;
  const seconds = d.seconds === null || d.seconds === undefined ? 0 : Number(String(d.seconds));
  return (Number.isFinite(seconds) ? seconds : 0) + (d.nanos ?? 0) / 1e9;
}

export interface ParsedResponse {
  readonly results: readonly StreamRelativeResult[];
  /** A google.rpc.Status carried inside the response (code ≠ 0), which ends the stream like a gRPC error. */
  readonly error: { readonly code: number; readonly message: string } | null;
}

export function parseStreamingResponse(response: ResponseLike): ParsedResponse {
  const error =
    response.error !== null && response.error !== undefined && (response.error.code ?? 0) !== 0
      ? { code: response.error.code ?? 2, message: response.error.message ?? '' }
      : null;
  const results: StreamRelativeResult[] = [];
  for (const r of response.results ?? []) {
    const best = r.alternatives?.[0];
    const text = (best?.transcript ?? '').trim();
    const final = r.isFinal === true;
    if (!final && text === '') continue;
    const words = (best?.words ?? []).map((w) => ({
      word: w.word ?? '',
      startSec: durationToSeconds(w.startTime),
      endSec: durationToSeconds(w.endTime),
    }));
    // Google's docs: confidence 0 is the sentinel for "not set" (always so on interim results).
    const confidence = best?.confidence === null || best?.confidence === undefined || best.confidence === 0 ? null : best.confidence;
    results.push({ final, text, confidence, resultEndSec: durationToSeconds(r.resultEndTime), words });
  }
  return { results, error };
}
