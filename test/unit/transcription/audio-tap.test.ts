import { describe, expect, it } from 'vitest';
import type { AudioTapStartResult } from '../../../src/browser/page-audio-tap.ts';
import { AudioTap, type AudioTapPage, type TapChunk, type TapParticipantEvent } from '../../../src/transcription/audio-tap.ts';

const T0 = 1_700_000_000_000;

class FakePage implements AudioTapPage {
  send: (m: unknown) => void = () => undefined;
  started = 0;
  stopped = 0;
  startResult: AudioTapStartResult = { ok: true, processor: 'audio-worklet', contextSampleRate: 16000 };
  #die: (e: unknown) => void = () => undefined;
  readonly #dead = new Promise<unknown>((resolve) => (this.#die = resolve));
  onStop: () => void = () => undefined;
  async startAudioTap(onMessage: (m: unknown) => void): Promise<AudioTapStartResult> {
    this.started++;
    this.send = onMessage;
    return this.startResult;
  }
  async stopAudioTap(): Promise<boolean> {
    this.stopped++;
    this.onStop();
    return true;
  }
  whenDead(): Promise<unknown> {
    return this.#dead;
  }
  die(): void {
    this.#die(new Error('crashed'));
  }
}

const pcm = (samples: number): string => Buffer.alloc(samples * 2, 1).toString('base64');
const chunkMsg = (id: string, startMs: number, continuous: boolean, samples = 3200) => ({
  type: 'chunk',
  id,
  startEpochMs: T0 + startMs,
  continuous,
  sampleRate: 16000,
  pcm: pcm(samples),
});

function collect(tap: AudioTap) {
  const out = { chunks: [] as TapChunk[], participants: [] as TapParticipantEvent[], warnings: [] as string[], ends: [] as string[] };
  tap.on('chunk', (c) => out.chunks.push(c));
  tap.on('participant', (p) => out.participants.push(p));
  tap.on('warning', (w) => out.warnings.push(w));
  tap.on('end', (r) => out.ends.push(r));
  return out;
}

describe('AudioTap', () => {
  it('labels chunks with the participant and places them on the recording timeline', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 + 500 });
    const out = collect(tap);
    expect(await tap.start()).toMatchObject({ ok: true });
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' });
    page.send(chunkMsg('a', 1000, false));
    page.send(chunkMsg('a', 1207, true)); // jitter: follows on by samples
    page.send({ type: 'participant', id: 'a', name: 'Ann B.', state: 'renamed' });
    page.send(chunkMsg('a', 3000, false, 1600)); // after a mute
    expect(out.participants).toEqual([
      { id: 'a', name: 'Ann', state: 'joined' },
      { id: 'a', name: 'Ann B.', state: 'renamed' },
    ]);
    expect(out.chunks.map((c) => [c.participantId, c.name, c.startMs, c.endMs, c.discontinuity, c.pcm.length])).toEqual([
      ['a', 'Ann', 500, 700, true, 6400],
      ['a', 'Ann', 700, 900, false, 6400],
      ['a', 'Ann B.', 2500, 2600, true, 3200],
    ]);
    expect(tap.participants()).toEqual(new Map([['a', 'Ann B.']]));
    expect(tap.stats()).toEqual({ chunks: 3, bytes: 16000, rejected: 0 });
  });

  it('ends a participant’s stream when they leave, and refuses their later audio', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    await tap.start();
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' });
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'left' });
    page.send(chunkMsg('a', 0, false));
    expect(out.participants.map((p) => p.state)).toEqual(['joined', 'left']);
    expect(out.chunks).toEqual([]);
    expect(out.warnings).toEqual([expect.stringMatching(/not \(or no longer\) tapped/)]);
    expect(tap.stats().rejected).toBe(1);
  });

  it('counts invalid messages as warnings, never throws', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    await tap.start();
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' });
    page.send({ ...chunkMsg('a', 0, false), sampleRate: 48000 });
    page.send('garbage');
    page.send({ type: 'status', message: 'tap a: boom' });
    expect(out.chunks).toEqual([]);
    expect(out.warnings).toHaveLength(3);
    expect(tap.stats().rejected).toBe(2);
  });

  it('stop() flushes the page, ends every stream, then emits end once; idempotent', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    await tap.start();
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' });
    page.send({ type: 'participant', id: 'b', name: null, state: 'joined' });
    page.onStop = () => page.send(chunkMsg('a', 0, false, 100)); // the page's last partial chunk
    await Promise.all([tap.stop(), tap.stop()]);
    await tap.stop();
    expect(page.stopped).toBe(1);
    expect(out.chunks).toHaveLength(1);
    expect(out.participants.filter((p) => p.state === 'left').map((p) => p.id)).toEqual(['a', 'b']);
    expect(out.ends).toEqual(['stopped']);
    page.send(chunkMsg('a', 500, false));
    expect(out.chunks).toHaveLength(1);
  });

  it('stops on abort', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    const abort = new AbortController();
    await tap.start({ signal: abort.signal });
    abort.abort();
    await tap.stop();
    expect(out.ends).toEqual(['aborted']);
    expect(page.stopped).toBe(1);
  });

  it('ends when the page dies', async () => {
    const page = new FakePage();
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    await tap.start();
    page.send({ type: 'participant', id: 'a', name: 'Ann', state: 'joined' });
    page.die();
    await new Promise((r) => setTimeout(r, 0));
    expect(out.ends).toEqual(['page_died']);
    expect(out.participants.at(-1)).toEqual({ id: 'a', name: 'Ann', state: 'left' });
  });

  it('reports a page without per-participant audio, for the mixed-audio fallback', async () => {
    const page = new FakePage();
    page.startResult = { ok: false, reason: 'no_conference', detail: 'APP.conference._room is missing' };
    const tap = new AudioTap(page, { captureStartedAtMs: T0 });
    const out = collect(tap);
    expect(await tap.start()).toEqual(page.startResult);
    expect(out.ends).toEqual(['stopped']);
    expect(await tap.start()).toMatchObject({ ok: false, reason: 'already_running' });
  });
});
