/**
 * Where the synthetic meeting's speakers really spoke, on a session's recording timeline, and how a
 * session's phrases compare: per-speaker WER against the sentences said in the covered time, and attribution
 * by time (phrase inside its speaker's slot). The page's clips loop an 18 s cycle from whenever they started
 * playing, so the cycle's phase is sampled from the page (each clip's cycle zero as epoch ms) while the
 * session runs. Shared by bench/transcription.ts and test/integration/transcription.test.ts.
 */
import type { FixtureManifest } from '../../src/demo-meeting/fixtures.ts';
import type { RecordingSession } from '../../src/session/recording-session.ts';
import { combineWer, normalizeWords, type WerResult, wordErrorRate } from '../../src/transcription/wer.ts';

/** Per participant id: epoch ms of its clip's cycle time 0, sampled over time (clips drift apart a little). */
export type ClipAnchors = Record<string, Array<{ at: number; anchor: number }>>;

const ANCHOR_SCRIPT = `(() => {
  const out = {};
  for (const v of document.querySelectorAll('[data-participant-id] video')) {
    if (!v.paused) out[v.closest('[data-participant-id]').dataset.participantId] = performance.timeOrigin + performance.now() - v.currentTime * 1000;
  }
  return out;
})()`;

/** Samples the clips' anchors every second while the session's tab exists; call the result to stop. */
export function sampleClipAnchors(session: RecordingSession, anchors: ClipAnchors): () => void {
  const timer = setInterval(() => {
    const tab = session.inspectPage();
    if (!tab) return;
    const at = Date.now();
    tab.evaluate(ANCHOR_SCRIPT).then(
      (r) => {
        for (const [pid, anchor] of Object.entries(r as Record<string, number>)) (anchors[pid] ??= []).push({ at, anchor });
      },
      () => undefined,
    );
  }, 1000);
  return () => clearInterval(timer);
}

/** A phrase on the recording timeline (SessionPhrase and the transcript JSON's events both fit). */
export interface TimedPhrase {
  readonly speakerId: string;
  readonly startSec: number;
  readonly endSec: number;
  readonly text: string;
}

export interface SpokenSentence {
  readonly text: string;
  readonly startSec: number;
  readonly endSec: number;
}

export interface SpeakerTimeline {
  readonly manifest: FixtureManifest;
  readonly anchors: ClipAnchors;
  /** Epoch ms of the recording timeline's zero. */
  readonly captureStartedAtMs: number;
  /** The demo meeting's participant ids by fixture index (e.g. 1 → '5c0e0001'). */
  readonly idOf: (index: number) => string;
}

function nearestAnchor(tl: SpeakerTimeline, pid: string, epochMs: number): number | null {
  let best: { at: number; anchor: number } | null = null;
  for (const a of tl.anchors[pid] ?? []) if (best === null || Math.abs(a.at - epochMs) < Math.abs(best.at - epochMs)) best = a;
  return best?.anchor ?? null;
}

/** The sentences participant `index` said whose midpoint lies in [fromSec, toSec] of the recording. */
export function spokenSentences(tl: SpeakerTimeline, index: number, fromSec: number, toSec: number): SpokenSentence[] {
  const p = tl.manifest.participants.find((x) => x.index === index);
  const pid = tl.idOf(index);
  const first = nearestAnchor(tl, pid, tl.captureStartedAtMs);
  if (!p || first === null) return [];
  const cycleMs = tl.manifest.cycleSeconds * 1000;
  const out: SpokenSentence[] = [];
  const c0 = Math.floor((tl.captureStartedAtMs + fromSec * 1000 - first) / cycleMs) - 1;
  const c1 = Math.ceil((tl.captureStartedAtMs + toSec * 1000 - first) / cycleMs) + 1;
  for (let c = c0; c <= c1; c++) {
    p.sentences.forEach((text, k) => {
      const span = p.sentenceTimes[k]!;
      // Refine with the anchor sampled nearest this cycle (the clip's clock drifts against the wall clock). A
      // looping clip's anchor is its current cycle's zero, so it is only known modulo the cycle.
      const candidate = first + c * cycleMs;
      const near = nearestAnchor(tl, pid, candidate) ?? first;
      const zero = near + Math.round((candidate - near) / cycleMs) * cycleMs;
      const start = (zero + span.startSeconds * 1000 - tl.captureStartedAtMs) / 1000;
      const end = start + span.endSeconds - span.startSeconds;
      const mid = (start + end) / 2;
      if (mid >= fromSec && mid <= toSec && !out.some((s) => Math.abs(s.startSec - start) < 1))
        out.push({ text, startSec: start, endSec: end });
    });
  }
  return out.sort((a, b) => a.startSec - b.startSec);
}

/** Seconds of [start, end] (recording time) inside participant `index`'s slot, cycle by cycle. */
export function overlapWithSlot(tl: SpeakerTimeline, index: number, start: number, end: number): number {
  const p = tl.manifest.participants.find((x) => x.index === index)!;
  const c = tl.manifest.cycleSeconds;
  let inside = 0;
  for (let t = start; t < end; t += 0.05) {
    const epoch = tl.captureStartedAtMs + t * 1000;
    const anchor = nearestAnchor(tl, tl.idOf(index), epoch);
    if (anchor === null) continue;
    const ph = ((((epoch - anchor) / 1000) % c) + c) % c;
    if (ph >= p.slotOffsetSeconds && ph < p.slotOffsetSeconds + tl.manifest.slotSeconds) inside += 0.05;
  }
  return inside;
}

export interface SpeakerWer {
  readonly index: number;
  readonly reference: string;
  readonly hypothesis: string;
  readonly wer: WerResult;
}

export interface PipelineScore {
  readonly wer: WerResult;
  readonly speakers: readonly SpeakerWer[];
  /** Share of recognised words whose phrase lies in its speaker's own slot (weighted by the time inside). */
  readonly attribution: number;
  readonly recognisedWords: number;
}

/**
 * Scores a session's phrases: each speaker's phrases (in order) against the sentences that speaker said between
 * the recording's start and `durationSec`. A sentence cut by the start or the end counts whole if its middle
 * is inside, so the edges cost a few errors either way.
 */
export function scorePhrases(
  tl: SpeakerTimeline,
  indexes: readonly number[],
  phrases: readonly TimedPhrase[],
  durationSec: number,
): PipelineScore {
  const speakers: SpeakerWer[] = [];
  let words = 0;
  let right = 0;
  for (const n of indexes) {
    const own = phrases.filter((p) => p.speakerId === tl.idOf(n)).sort((a, b) => a.startSec - b.startSec);
    const reference = spokenSentences(tl, n, 0, durationSec)
      .map((s) => s.text)
      .join(' ');
    const hypothesis = own.map((p) => p.text).join(' ');
    speakers.push({ index: n, reference, hypothesis, wer: wordErrorRate(reference, hypothesis) });
    for (const p of own) {
      const count = normalizeWords(p.text).length;
      const len = Math.max(0.05, p.endSec - p.startSec);
      words += count;
      right += count * Math.min(1, overlapWithSlot(tl, n, p.startSec, p.startSec + len) / len);
    }
  }
  return { wer: combineWer(speakers.map((s) => s.wer)), speakers, attribution: words === 0 ? 0 : right / words, recognisedWords: words };
}
