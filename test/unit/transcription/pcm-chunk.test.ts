import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, parseTapMessage, pcmDurationMs, pcmRms, samplesIn, wavHeader } from '../../../src/transcription/pcm-chunk.ts';

const pcmOf = (...samples: number[]): Buffer => {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
};
const chunk = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'chunk',
  id: '5c0e0001',
  startEpochMs: 1_700_000_000_000.5,
  continuous: true,
  sampleRate: 16000,
  pcm: pcmOf(1, -2, 32767, -32768).toString('base64'),
  ...over,
});

describe('parseTapMessage', () => {
  it('decodes a chunk to LINEAR16 LE samples', () => {
    const r = parseTapMessage(chunk());
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.type !== 'chunk') throw new Error('not a chunk');
    expect(r.message).toMatchObject({ id: '5c0e0001', startEpochMs: 1_700_000_000_000.5, continuous: true, sampleRate: 16000 });
    expect([0, 1, 2, 3].map((i) => (r.message.type === 'chunk' ? r.message.pcm.readInt16LE(i * 2) : 0))).toEqual([1, -2, 32767, -32768]);
  });

  it('treats anything but continuous === true as a new run', () => {
    const r = parseTapMessage(chunk({ continuous: 'yes' }));
    expect(r.ok && r.message.type === 'chunk' && r.message.continuous).toBe(false);
  });

  it.each([
    ['no id', { id: '' }, /id/],
    ['a long id', { id: 'x'.repeat(300) }, /id/],
    ['another rate', { sampleRate: 48000 }, /48000 Hz/],
    ['no start', { startEpochMs: undefined }, /start/],
    ['a NaN start', { startEpochMs: Number.NaN }, /start/],
    ['a negative start', { startEpochMs: -5 }, /start/],
    ['no pcm', { pcm: '' }, /pcm/],
    ['pcm that is not base64', { pcm: 'a$b=' }, /base64/],
    ['an odd byte count', { pcm: Buffer.from([1, 2, 3]).toString('base64') }, /whole number/],
    ['too much pcm', { pcm: Buffer.alloc(MAX_CHUNK_BYTES + 2).toString('base64') }, /too long/],
    ['a number array', { pcm: [1, 2] }, /pcm/],
  ])('rejects a chunk with %s', (_name, over, error) => {
    const r = parseTapMessage(chunk(over));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('decodes participant events and rejects unknown states', () => {
    expect(parseTapMessage({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' })).toEqual({
      ok: true,
      message: { type: 'participant', id: 'a', name: 'Ann', state: 'joined' },
    });
    expect(parseTapMessage({ type: 'participant', id: 'a', name: '', state: 'left' })).toMatchObject({ ok: true, message: { name: null } });
    expect(parseTapMessage({ type: 'participant', id: 'a', state: 'gone' }).ok).toBe(false);
  });

  it('rejects what is not a message', () => {
    for (const raw of [null, 1, 'chunk', [], { type: 'other' }]) expect(parseTapMessage(raw).ok).toBe(false);
    expect(parseTapMessage({ type: 'status', message: 'hi' })).toEqual({ ok: true, message: { type: 'status', message: 'hi' } });
  });
});

describe('LINEAR16 helpers', () => {
  it('counts samples and duration', () => {
    expect(samplesIn(Buffer.alloc(3200))).toBe(1600);
    expect(pcmDurationMs(Buffer.alloc(6400))).toBe(200);
  });

  it('computes RMS over a range', () => {
    const pcm = pcmOf(1000, -1000, 1000, -1000, 0, 0);
    expect(pcmRms(pcm, 0, 4)).toBe(1000);
    expect(pcmRms(pcm, 4)).toBe(0);
    expect(pcmRms(pcm, 5, 2)).toBe(0);
    expect(pcmRms(pcm)).toBeCloseTo(Math.sqrt(4e6 / 6), 6);
  });

  it('writes a canonical mono s16 WAV header', () => {
    const h = wavHeader(32000, 16000);
    expect(h.length).toBe(44);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(36 + 32000);
    expect(h.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([
      h.readUInt16LE(20),
      h.readUInt16LE(22),
      h.readUInt32LE(24),
      h.readUInt32LE(28),
      h.readUInt16LE(32),
      h.readUInt16LE(34),
    ]).toEqual([1, 1, 16000, 32000, 2, 16]);
    expect(h.toString('ascii', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(32000);
  });
});
