/**
 * The audio tap's page → Node messages (src/browser/meeting-page.ts startAudioTap), decoded and validated, and
 * small LINEAR16 helpers. Pure: a message the page should never send is rejected (null), never thrown.
 */
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';

/** A chunk longer than this is refused (the page batches 20..1000 ms; 2 s leaves room, caps a bad page). */
export const MAX_CHUNK_BYTES = SPEECH_SAMPLE_RATE * 2 * 2;
const MAX_ID_LENGTH = 256;
const MAX_NAME_LENGTH = 512;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type TapParticipantState = 'joined' | 'renamed' | 'left';

export type TapMessage =
  | { readonly type: 'participant'; readonly id: string; readonly name: string | null; readonly state: TapParticipantState }
  | {
      readonly type: 'chunk';
      readonly id: string;
      /** Epoch ms at which the chunk's first sample was heard in the page. */
      readonly startEpochMs: number;
      /** Follows the participant's previous chunk without a gap. */
      readonly continuous: boolean;
      readonly sampleRate: typeof SPEECH_SAMPLE_RATE;
      /** LINEAR16 little-endian mono, a whole number of samples. */
      readonly pcm: Buffer;
    }
  | { readonly type: 'status'; readonly message: string };

export type TapMessageResult = { ok: true; message: TapMessage } | { ok: false; error: string };

function text(v: unknown, max: number): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

export function parseTapMessage(raw: unknown): TapMessageResult {
  if (raw === null || typeof raw !== 'object') return { ok: false, error: 'not an object' };
  const m = raw as Record<string, unknown>;
  switch (m['type']) {
    case 'participant': {
      const id = text(m['id'], MAX_ID_LENGTH);
      const state = m['state'];
      if (id === null) return { ok: false, error: 'participant without a valid id' };
      if (state !== 'joined' && state !== 'renamed' && state !== 'left')
        return { ok: false, error: `unknown participant state ${String(state)}` };
      const name = typeof m['name'] === 'string' && m['name'] !== '' ? m['name'].slice(0, MAX_NAME_LENGTH) : null;
      return { ok: true, message: { type: 'participant', id, name, state } };
    }
    case 'chunk': {
      const id = text(m['id'], MAX_ID_LENGTH);
      if (id === null) return { ok: false, error: 'chunk without a valid id' };
      if (m['sampleRate'] !== SPEECH_SAMPLE_RATE)
        return { ok: false, error: `chunk at ${String(m['sampleRate'])} Hz, expected ${SPEECH_SAMPLE_RATE}` };
      const start = m['startEpochMs'];
      if (typeof start !== 'number' || !Number.isFinite(start) || start <= 0)
        return { ok: false, error: 'chunk without a valid start time' };
      const pcm = decodePcm(m['pcm']);
      if (typeof pcm === 'string') return { ok: false, error: pcm };
      return {
        ok: true,
        message: { type: 'chunk', id, startEpochMs: start, continuous: m['continuous'] === true, sampleRate: SPEECH_SAMPLE_RATE, pcm },
      };
    }
    case 'status':
      return { ok: true, message: { type: 'status', message: typeof m['message'] === 'string' ? m['message'].slice(0, 500) : '' } };
    default:
      return { ok: false, error: `unknown message type ${String(m['type']).slice(0, 40)}` };
  }
}

/** Base64 → whole Int16 samples; an error text when it is not that. */
function decodePcm(v: unknown): Buffer | string {
  if (typeof v !== 'string' || v.length === 0) return 'chunk without pcm';
  // 4 base64 characters per 3 bytes: refuse oversized input before decoding it.
  if (v.length > Math.ceil(MAX_CHUNK_BYTES / 3) * 4) return 'chunk too long';
  if (v.length % 4 !== 0 || !BASE64.test(v)) return 'pcm is not base64';
  const pcm = Buffer.from(v, 'base64');
  if (pcm.length > MAX_CHUNK_BYTES) return 'chunk too long';
  if (pcm.length === 0 || pcm.length % 2 !== 0) return 'pcm is not a whole number of 16-bit samples';
  return pcm;
}

export function samplesIn(pcm: Buffer): number {
  return Math.floor(pcm.length / 2);
}

/** Duration of LINEAR16 mono PCM in ms. */
export function pcmDurationMs(pcm: Buffer, sampleRate: number = SPEECH_SAMPLE_RATE): number {
  return (samplesIn(pcm) * 1000) / sampleRate;
}

/** Root mean square of s16le samples (0..32768). */
export function pcmRms(pcm: Buffer, fromSample = 0, toSample: number = samplesIn(pcm)): number {
  const from = Math.max(0, fromSample);
  const to = Math.min(samplesIn(pcm), toSample);
  if (to <= from) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const s = pcm.readInt16LE(i * 2);
    sum += s * s;
  }
  return Math.sqrt(sum / (to - from));
}

/** A canonical 44-byte WAV header for s16le mono PCM of `dataBytes` (for dumps and tests). */
export function wavHeader(dataBytes: number, sampleRate: number = SPEECH_SAMPLE_RATE): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // PCM fmt chunk size
  h.writeUInt16LE(1, 20); // format: integer PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
