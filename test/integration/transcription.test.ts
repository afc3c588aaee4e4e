/**
 * Transcription sessions on the synthetic meeting (3 speakers in 6 s slots of an 18 s cycle), with the real
 * tap, real pocketsphinx and real Chromium/Xvfb/PulseAudio. pocketsphinx's WER on the espeak voices is ~0.9,
 * so this asserts attribution and timing, not words.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureFixtures,
  loadFixtureManifest,
  startDemoMeeting,
  type DemoMeeting,
  type FixtureManifest,
} from '../../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import type { RecordingSession } from '../../src/session/recording-session.ts';
import type { SessionPhrase } from '../../src/session/session-types.ts';
import { scorePhrases } from '../../bench/lib/meeting-speech.ts';
import { descendants, isAlive } from '../helpers/processes.ts';
import { newSession, request, testConfig } from '../helpers/recording.ts';

/** Pipeline WER of the 20 s transcription-only session: 0.66–0.79 in 3 runs; ~0.94 read directly, so a wide margin. */
const WER_BOUND = 1.1;
const id = (n: number): string => `5c0e${String(n).padStart(4, '0')}`;
let meeting: DemoMeeting;
let manifest: FixtureManifest;

beforeAll(async () => {
  const fixturesDir = await ensureFixtures();
  manifest = await loadFixtureManifest(fixturesDir);
  meeting = await startDemoMeeting({ port: 0, fixturesDir });
});
afterAll(async () => {
  await meeting?.close();
});

interface Watched {
  phrases: SessionPhrase[];
  captureStartedAtMs: number;
  /** Per participant id: epoch ms of its clip's cycle time 0, sampled each second (clips drift apart a little). */
  anchors: Record<string, Array<{ at: number; anchor: number }>>;
  /** Names of processes under this test process seen while the session ran. */
  commands: Set<string>;
  /** `<json-message>` payloads the recorder sent into the meeting (subtitles). */
  subtitles: string[];
}

/** Samples what the page plays (cycle anchors per participant) and which processes run, until the session ends. */
function watch(session: RecordingSession): { seen: Watched; done: () => void } {
  const seen: Watched = { phrases: [], captureStartedAtMs: 0, anchors: {}, commands: new Set(), subtitles: [] };
  session.on('phrase', (p) => seen.phrases.push(p));
  session.on('state', (s) => {
    if (s.status === 'running') seen.captureStartedAtMs = s.captureStartedAtMs;
  });
  const script = `(() => {
    const out = {};
    for (const v of document.querySelectorAll('[data-participant-id] video')) {
      if (!v.paused) out[v.closest('[data-participant-id]').dataset.participantId] = performance.timeOrigin + performance.now() - v.currentTime * 1000;
    }
    return out;
  })()`;
  const timer = setInterval(() => {
    for (const pid of descendants(process.pid)) {
      try {
        seen.commands.add(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      } catch {
        // gone
      }
    }
    const tab = session.inspectPage();
    if (seen.captureStartedAtMs === 0 || !tab) return;
    const at = Date.now();
    tab.evaluate(script).then(
      (r) => {
        for (const [pid, anchor] of Object.entries(r as Record<string, number>)) (seen.anchors[pid] ??= []).push({ at, anchor });
      },
      () => undefined,
    );
    tab.evaluate('window.__scribaDemo.jsonMessages').then(
      (m) => {
        if (Array.isArray(m) && m.length >= seen.subtitles.length) seen.subtitles = m as string[];
      },
      () => undefined,
    );
  }, 1000);
  return { seen, done: () => clearInterval(timer) };
}

/** Cycle phase (s) of a recording-timeline second for participant n's clip. */
function phaseOf(seen: Watched, n: number, recSec: number): number {
  const epoch = seen.captureStartedAtMs + recSec * 1000;
  let best = { at: -Infinity, anchor: NaN };
  for (const a of seen.anchors[id(n)] ?? []) if (Math.abs(a.at - epoch) < Math.abs(best.at - epoch)) best = a;
  const c = manifest.cycleSeconds;
  return ((((epoch - best.anchor) / 1000) % c) + c) % c;
}

/** Seconds of [start, end] (recording time) inside participant n's slot, cycle by cycle. */
function overlapWithSlot(seen: Watched, n: number, start: number, end: number): number {
  const p = manifest.participants.find((x) => x.index === n)!;
  let inside = 0;
  for (let t = start; t < end; t += 0.05) {
    const ph = phaseOf(seen, n, t);
    if (ph >= p.slotOffsetSeconds && ph < p.slotOffsetSeconds + manifest.slotSeconds) inside += 0.05;
  }
  return inside;
}

/** Seconds (recording time) of the speech onsets in a media file's audio: loud 10 ms blocks after ≥ 0.5 s of quiet. */
function audioOnsets(file: string): number[] {
  const out = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'], {
    maxBuffer: 64 << 20,
  });
  const pcm = out.stdout;
  const onsets: number[] = [];
  let quietSince = 0;
  for (let b = 0; (b + 1) * 320 <= pcm.length; b++) {
    let sum = 0;
    for (let i = b * 320; i < (b + 1) * 320; i += 2) sum += pcm.readInt16LE(i) ** 2;
    const loud = Math.sqrt(sum / 160) > 300;
    const t = b / 100;
    if (loud) {
      if (t - quietSince >= 0.5) onsets.push(t);
      quietSince = Infinity;
    } else if (quietSince === Infinity) quietSince = t;
  }
  return onsets;
}

function checkVtt(vtt: string): Array<{ start: number; end: number }> {
  expect(vtt.startsWith('WEBVTT')).toBe(true);
  const toSec = (s: string): number => {
    const [h, m, rest] = s.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest);
  };
  const cues = [...vtt.matchAll(/^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$/gm)].map((m) => ({
    start: toSec(m[1]!),
    end: toSec(m[2]!),
  }));
  for (let i = 0; i < cues.length; i++) {
    expect(cues[i]!.end).toBeGreaterThanOrEqual(cues[i]!.start);
    if (i > 0) expect(cues[i]!.start).toBeGreaterThanOrEqual(cues[i - 1]!.start);
  }
  return cues;
}

describe('transcription sessions on the synthetic meeting', () => {
  it('transcription only: per-speaker phrases in the speakers’ own slots, JSON/TXT/VTT files, no video capture', async () => {
    const config = testConfig({ transcription: { inMeetingSubtitles: true } });
    const session = newSession(
      config,
      request(`${meeting.url}/acme/transcribed?participants=3`, 'tx-only', {
        recordFile: false,
        maxDurationSec: 20,
        transcription: { language: 'en-US' },
      }),
    );
    const { seen, done } = watch(session);
    const result = await session.run().finally(done);
    expect(result.failure).toBeNull();
    expect(result).toMatchObject({ status: 'finished', file: null });
    expect(seen.commands.has('ffmpeg')).toBe(false);
    expect(seen.commands.has('pocketsphinx_co')).toBe(true);

    const t = result.transcript!;
    expect(t.files.json).toMatch(/\/tx-only\/transcribed_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.transcript\.json$/);
    for (const f of Object.values(t.files)) expect(existsSync(f)).toBe(true);
    const json = JSON.parse(readFileSync(t.files.json, 'utf8')) as {
      room_name: string;
      start_time: string;
      end_time: string;
      participants: Array<{ id: string; name: string }>;
      events: Array<{
        event: string;
        participant: { id: string; name: string };
        start_sec: number;
        end_sec: number;
        text: string;
        confidence: number | null;
      }>;
    };
    expect(json.room_name).toBe('transcribed');
    expect(Date.parse(json.start_time)).toBe(seen.captureStartedAtMs);
    expect(json.participants.map((p) => p.id).sort()).toEqual([id(1), id(2), id(3)]);
    const speech = json.events.filter((e) => e.event === 'SPEECH');
    expect(speech.length).toBe(t.phrases);
    expect(speech.length).toBe(seen.phrases.length);
    expect(new Set(speech.map((e) => e.participant.id)).size).toBe(3);
    expect(readFileSync(t.files.txt, 'utf8')).toMatch(/^\[00:00:\d\d\] \S.*: \S/m);
    checkVtt(readFileSync(t.files.vtt, 'utf8'));

    // Attribution by time: the phrase's time lies in its speaker's slot, not in another's.
    let total = 0;
    let right = 0;
    const report: string[] = [];
    for (const e of speech) {
      const n = Number(e.participant.id.slice(-4));
      const len = Math.max(0.05, e.end_sec - e.start_sec);
      const own = overlapWithSlot(seen, n, e.start_sec, e.start_sec + len);
      total += len;
      right += Math.min(len, own);
      report.push(`${n}@${e.start_sec.toFixed(2)}-${e.end_sec.toFixed(2)}:${(own / len).toFixed(2)}`);
    }
    console.log('transcription-only phrases', report.join(' '));
    expect(right / total).toBeGreaterThanOrEqual(0.95);
    // Pipeline WER: each speaker's phrases vs. the sentences that speaker said while the session ran. A weak
    // bound on purpose: pocketsphinx on espeak-ng voices is ~0.9 WER even read directly (docs/transcription.md);
    // it catches a broken pipeline (audio lost, garbled or given to the wrong stream), not a poor engine.
    const score = scorePhrases(
      { manifest, anchors: seen.anchors, captureStartedAtMs: seen.captureStartedAtMs, idOf: id },
      [1, 2, 3],
      speech.map((e) => ({ speakerId: e.participant.id, startSec: e.start_sec, endSec: e.end_sec, text: e.text })),
      Date.parse(json.end_time) / 1000 - Date.parse(json.start_time) / 1000,
    );
    console.log('pipeline WER', score.wer.wer.toFixed(3), JSON.stringify(score.speakers.map((x) => [x.reference, x.hypothesis])));
    expect(score.wer.referenceWords).toBeGreaterThanOrEqual(20);
    expect(score.wer.wer).toBeLessThanOrEqual(WER_BOUND);
    // Subtitles went into the meeting as Jigasi sends them (those sent before the last poll).
    expect(seen.subtitles.length).toBeGreaterThan(0);
    const sub = JSON.parse(seen.subtitles[0]!) as Record<string, unknown>;
    expect(sub).toMatchObject({
      type: 'transcription-result',
      event: 'SPEECH',
      is_interim: false,
      language: 'en-US',
      message_id: seen.phrases[0]!.id,
    });
    expect(sub['participant']).toEqual(seen.phrases[0]!.speaker);
    // pocketsphinx gives no interims: every subtitle is a final, under its phrase's id (the webhook's messageID).
    const ids = new Set(seen.phrases.map((p) => p.id));
    for (const raw of seen.subtitles) {
      const m = JSON.parse(raw) as { is_interim: boolean; message_id: string };
      expect(m.is_interim).toBe(false);
      expect(ids.has(m.message_id)).toBe(true);
    }
    expect(session.pids().filter(isAlive)).toEqual([]);
  }, 120_000);

  it('file + transcription: one capture, a fine MP4, captions on the recording’s timeline (±0.5 s)', async () => {
    const config = testConfig();
    // No sync tile: its beep every second would be an onset after each quiet, and the nearest one to a sentence
    // start is not the speech (it measured the beeps, 0.22 s before the sentences, until this was seen).
    const session = newSession(
      config,
      request(`${meeting.url}/acme/both?participants=3&sync=0`, 'tx-file', {
        maxDurationSec: 20,
        transcription: { language: 'en-US' },
      }),
    );
    const { seen, done } = watch(session);
    const result = await session.run().finally(done);
    expect(result.failure).toBeNull();
    const media = await probeMedia(result.file!.path);
    expect(media.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(Math.abs(media.durationSec - 20)).toBeLessThanOrEqual(0.5);
    expect(media.audio).toMatchObject({ codec: 'aac' });
    const files = result.transcript!.files;
    expect(files.vtt).toBe(result.file!.path.replace(/\.mp4$/, '.transcript.vtt'));
    const cues = checkVtt(readFileSync(files.vtt, 'utf8'));
    expect(cues.length).toBeGreaterThan(0);

    // Where each phrase should start: the nearest known sentence start of its speaker (the clip's cycle times,
    // placed on the recording's timeline through the page's clip clocks).
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as {
      events: Array<{ event: string; participant: { id: string }; start_sec: number; end_sec: number }>;
    };
    const speech = json.events.filter((x) => x.event === 'SPEECH');
    expect(new Set(speech.map((e) => e.participant.id)).size).toBe(3);
    const onsets = audioOnsets(result.file!.path);
    const captionOffsets: number[] = [];
    const fileOffsets: number[] = [];
    const direct: number[] = [];
    const lastEnd = new Map<string, number>();
    for (const e of speech) {
      const n = Number(e.participant.id.slice(-4));
      const prevEnd = lastEnd.get(e.participant.id);
      lastEnd.set(e.participant.id, e.end_sec);
      // The file check uses turn openings only: the onset detector needs quiet before the speech.
      const opensTurn = prevEnd === undefined || e.start_sec - prevEnd > 3;
      const p = manifest.participants.find((x) => x.index === n)!;
      const phase = phaseOf(seen, n, e.start_sec);
      const d = p.sentenceTimes.map((st) => phase - st.startSeconds).reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
      captionOffsets.push(d);
      // The sentence's start on the recording's timeline must be where the MP4's audio has a speech onset.
      const expected = e.start_sec - d;
      const nearest = onsets.reduce((best, o) => (Math.abs(o - expected) < Math.abs(best - expected) ? o : best), Infinity);
      // Not in the first 2 s: the detector needs a quiet history, and the file opens mid-sound at times.
      if (opensTurn && expected > 2 && expected < media.durationSec - 0.5) {
        fileOffsets.push(nearest - expected);
        direct.push(e.start_sec - nearest);
      }
    }
    console.log('phrase start − sentence start (s)', captionOffsets.map((o) => o.toFixed(2)).join(' '));
    console.log('file onset − sentence start (s)', fileOffsets.map((o) => o.toFixed(2)).join(' '));
    console.log('caption start − file onset (s)', direct.map((o) => o.toFixed(2)).join(' '));
    expect(captionOffsets.length).toBeGreaterThanOrEqual(3);
    expect(fileOffsets.length).toBeGreaterThanOrEqual(2);
    // The file's sound comes 0.08–0.10 s after the page's clip clock says it played (the sound server's and the
    // screen's path; docs/capture.md, "A/V synchronisation"). Captions follow the page's clock, so they start
    // about that much before the file's speech onset, plus the engine's own scatter.
    for (const o of fileOffsets) expect(Math.abs(o)).toBeLessThanOrEqual(0.35);
    for (const o of captionOffsets) expect(Math.abs(o)).toBeLessThanOrEqual(0.5);
    // The requirement itself: each caption starts within 0.5 s of its speech in the MP4's own audio.
    for (const o of direct) expect(Math.abs(o)).toBeLessThanOrEqual(0.5);
    expect(seen.phrases.length).toBe(result.transcript!.phrases);
    expect(session.pids().filter(isAlive)).toEqual([]);
  }, 120_000);
});
