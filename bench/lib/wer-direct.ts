/**
 * The speech engine on the synthetic meeting's voices read straight from their files (voice-N.wav, 16 kHz
 * mono, .cache/fixtures): the reference point for the pipeline's WER (audio through the meeting, the browser
 * and the tap). Also used by the speech-engine conformance suite as its corpus of known sentences.
 *
 * Each voice gets one stream, written as fast as the engine takes it, then end(). CPU is that of the child
 * processes this Node process reaps (/proc/self/stat cutime+cstime: pocketsphinx and its cat), so run nothing
 * else meanwhile; for a remote engine it is ~0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureFixtures, loadFixtureManifest } from '../../src/demo-meeting/fixtures.ts';
import type { SpeechEngine, SpeechResult } from '../../src/transcription/speech-engine.ts';
import { combineWer, type WerResult, wordErrorRate } from '../../src/transcription/wer.ts';

export interface CorpusSentence {
  readonly text: string;
  /** This sentence's samples, cut out of the voice file (16 kHz mono s16le). */
  readonly pcm: Buffer;
  /** Where it sits in the voice file. */
  readonly startSec: number;
  readonly endSec: number;
}

export interface CorpusVoice {
  readonly index: number;
  readonly displayName: string;
  readonly voice: string;
  /** The whole voice file: its sentences with the gap between them. */
  readonly pcm: Buffer;
  readonly sentences: readonly CorpusSentence[];
}

const RATE = 16_000;

/** The samples of a 16 kHz mono s16le WAV file (what make-fixtures.sh writes). */
export function wavToPcm(file: Buffer): Buffer {
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let at = 12;
  let format: { channels: number; rate: number; bits: number; tag: number } | null = null;
  while (at + 8 <= file.length) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      format = {
        tag: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        rate: file.readUInt32LE(body + 4),
        bits: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === null || format.tag !== 1 || format.channels !== 1 || format.rate !== RATE || format.bits !== 16) {
        throw new Error(`expected 16 kHz mono 16-bit PCM, got ${JSON.stringify(format)}`);
      }
      return file.subarray(body, Math.min(file.length, body + size));
    }
    at = body + size + (size % 2);
  }
  throw new Error('WAV file without a data chunk');
}

const byteAt = (sec: number, max: number): number => Math.min(max, Math.max(0, Math.round(sec * RATE) * 2));

export async function loadVoiceCorpus(fixturesDir?: string): Promise<CorpusVoice[]> {
  const dir = await ensureFixtures({ fixturesDir });
  const manifest = await loadFixtureManifest(dir);
  return manifest.participants.map((p) => {
    const pcm = wavToPcm(readFileSync(path.join(dir, p.voiceFile)));
    const sentences = p.sentences.map((text, k) => {
      const span = p.sentenceTimes[k]!;
      // Voice time = cycle time - speechStartSeconds.
      const startSec = span.startSeconds - p.speechStartSeconds;
      const endSec = k === p.sentences.length - 1 ? pcm.length / 2 / RATE : span.endSeconds - p.speechStartSeconds;
      return { text, startSec, endSec, pcm: pcm.subarray(byteAt(startSec, pcm.length), byteAt(endSec, pcm.length)) };
    });
    return { index: p.index, displayName: p.displayName, voice: p.voice, pcm, sentences };
  });
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds of this process's reaped children so far (utime+stime of waited-for children). */
export function childrenCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime) are at 13 and 14 after the ')' (field 3 is index 0), in clock ticks.
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

export interface VoiceRun {
  readonly voice: string;
  readonly reference: string;
  readonly hypothesis: string;
  readonly wer: WerResult;
  readonly results: readonly SpeechResult[];
}

export interface DirectWerReport {
  readonly engine: string;
  readonly wer: number;
  readonly totals: WerResult;
  readonly voices: readonly VoiceRun[];
  readonly audioSec: number;
  readonly wallSec: number;
  /** Engine CPU per second of audio: the share of one core one real-time stream needs. */
  readonly cpuPerAudioSec: number;
}

export interface DirectWerOptions {
  readonly language?: string;
  /** Silence before each voice file, seconds. Default 0.5. */
  readonly leadSilenceSec?: number;
  readonly signal?: AbortSignal;
}

/** Runs each voice through its own stream, one after the other. */
export async function measureDirectWer(
  engine: SpeechEngine,
  corpus: readonly CorpusVoice[],
  options: DirectWerOptions = {},
): Promise<DirectWerReport> {
  const signal = options.signal ?? new AbortController().signal;
  const lead = Buffer.alloc(byteAt(options.leadSilenceSec ?? 0.5, Number.MAX_SAFE_INTEGER));
  const cpuBefore = childrenCpuSec();
  const started = performance.now();
  const voices: VoiceRun[] = [];
  let audioBytes = 0;
  for (const v of corpus) {
    const stream = engine.start({ language: options.language ?? 'en-US', sampleRateHertz: RATE, signal, label: `voice-${v.index}` });
    const collected = (async () => {
      const out: SpeechResult[] = [];
      for await (const r of stream.results) if (r.final) out.push(r);
      return out;
    })();
    stream.write(lead);
    for (let i = 0; i < v.pcm.length; i += 3200) stream.write(v.pcm.subarray(i, i + 3200)); // 100 ms writes
    audioBytes += lead.length + v.pcm.length;
    await stream.end();
    const results = await collected;
    const reference = v.sentences.map((s) => s.text).join(' ');
    const hypothesis = results.map((r) => r.text).join(' ');
    voices.push({ voice: v.voice, reference, hypothesis, wer: wordErrorRate(reference, hypothesis), results });
  }
  const wallSec = (performance.now() - started) / 1000;
  const audioSec = audioBytes / 2 / RATE;
  const totals = combineWer(voices.map((v) => v.wer));
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    engine: engine.name,
    wer: round(totals.wer),
    totals,
    voices,
    audioSec: round(audioSec),
    wallSec: round(wallSec),
    cpuPerAudioSec: round((childrenCpuSec() - cpuBefore) / audioSec),
  };
}
