/**
 * The Google stream's timing paths with a scripted in-memory client (no gRPC): idle half-close, a half-close
 * Google never answers, an end() that never completes, a service that closes calls at once.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createGoogleSpeechEngine,
  type SpeechCallClient,
  type StreamingCall,
  type StreamingRequest,
} from '../../../src/transcription/google-engine.ts';
import type { SpeechResult, SpeechStream } from '../../../src/transcription/speech-engine.ts';

class ScriptedCall extends EventEmitter implements StreamingCall {
  readonly requests: StreamingRequest[] = [];
  halfClosed = false;
  cancelled = false;
  readonly #onHalfClose: (call: ScriptedCall) => void;
  constructor(onHalfClose: (call: ScriptedCall) => void) {
    super();
    this.#onHalfClose = onHalfClose;
  }
  write(request: StreamingRequest): boolean {
    this.requests.push(request);
    return true;
  }
  end(): void {
    this.halfClosed = true;
    this.#onHalfClose(this);
  }
  cancel(): void {
    this.cancelled = true;
    queueMicrotask(() => this.emit('error', Object.assign(new Error('Cancelled on client'), { code: 1 })));
  }
  audio(): Buffer {
    return Buffer.concat(this.requests.flatMap((r) => (r.audioContent === undefined ? [] : [r.audioContent])));
  }
}

function scriptedClient(onHalfClose: (call: ScriptedCall) => void = (call) => queueMicrotask(() => call.emit('end'))) {
  const calls: ScriptedCall[] = [];
  const client: SpeechCallClient = {
    openStreamingCall: () => {
      const call = new ScriptedCall(onHalfClose);
      calls.push(call);
      return call;
    },
    close: async () => {},
  };
  return { client, calls };
}

const pcm = (sec: number, fill = 1): Buffer => Buffer.alloc(Math.round(sec * 16_000) * 2, fill);
/** Each sample holds its own index: where a slice starts is readable from its first sample. */
const ramp = (sec: number): Buffer => {
  const buf = Buffer.alloc(Math.round(sec * 16_000) * 2);
  for (let i = 0; i < buf.length / 2; i++) buf.writeInt16LE(i % 30_000, i * 2);
  return buf;
};

function startStream(engineStart: (label: string) => SpeechStream) {
  const stream = engineStart('s');
  const results: SpeechResult[] = [];
  const done = (async () => {
    try {
      for await (const r of stream.results) results.push(r);
      return null;
    } catch (error) {
      return error;
    }
  })();
  return { stream, results, done };
}

const open = async (client: SpeechCallClient, options: Parameters<typeof createGoogleSpeechEngine>[0] = {}) => {
  const engine = await createGoogleSpeechEngine({ client, retryDelaysMs: [5, 5], ...options });
  return (label: string) => engine.start({ language: 'en-US', sampleRateHertz: 16_000, signal: new AbortController().signal, label });
};

describe('Google speech stream timing', () => {
  it('half-closes an idle call, and sends its tail again when audio resumes', async () => {
    const { client, calls } = scriptedClient();
    const { stream, done } = startStream(await open(client, { idleCloseMs: 30 }));
    stream.write(pcm(1, 1));
    await sleep(80);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.halfClosed).toBe(true);
    expect(calls[0]!.requests[0]).toHaveProperty('streamingConfig');
    stream.write(pcm(0.5, 2));
    expect(calls).toHaveLength(2);
    // No final came for the first second: the new call hears it again, then the new audio.
    expect(calls[1]!.requests[0]).toHaveProperty('streamingConfig');
    expect(calls[1]!.audio().equals(Buffer.concat([pcm(1, 1), pcm(0.5, 2)]))).toBe(true);
    await stream.end();
    expect(await done).toBeNull();
  });

  it('abandons a half-closed call that never ends and resends its tail', async () => {
    const { client, calls } = scriptedClient(() => {}); // never answers a half-close
    const { stream, done } = startStream(
      await open(client, { streamLimitSec: 1, maxResendSec: 0.5, handoverTimeoutMs: 30, endTimeoutMs: 200 }),
    );
    stream.write(ramp(1.5));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.halfClosed).toBe(true); // at the 1 s limit
    calls[0]!.emit('data', {
      results: [{ isFinal: true, resultEndTime: { seconds: '0', nanos: 250_000_000 }, alternatives: [{ transcript: 'hi' }] }],
    });
    // The 30 ms handover timeout fires on a busy machine too, just later: wait for it rather than a fixed time.
    for (let waited = 0; !(calls[0]!.cancelled && calls.length === 2) && waited < 2_000; waited += 10) await sleep(10);
    expect(calls[0]!.cancelled).toBe(true);
    expect(calls).toHaveLength(2);
    // From the final's end (0.25 s): the abandoned call finalized nothing after it. The new call's own 1 s
    // limit stops it at 1.25 s.
    expect(calls[1]!.audio().readInt16LE(0)).toBe(4_000);
    expect(calls[1]!.audio().length).toBe(pcm(1).length);
    expect(calls[1]!.halfClosed).toBe(true);
    const ending = stream.end();
    await expect(ending).rejects.toMatchObject({ reason: 'unavailable', message: /did not finish s within 200 ms/ });
    expect(await done).toMatchObject({ reason: 'unavailable' });
  });

  it('does not spin on a service that closes every call at once', async () => {
    const { client, calls } = scriptedClient();
    const engineStart = await open({
      ...client,
      openStreamingCall: () => {
        const call = client.openStreamingCall() as ScriptedCall;
        queueMicrotask(() => call.emit('end'));
        return call;
      },
    });
    const { stream, done } = startStream(engineStart);
    stream.write(pcm(0.2));
    expect(await done).toMatchObject({ reason: 'unavailable', message: /failed 3 times in a row/ });
    expect(calls).toHaveLength(3);
    await expect(stream.end()).rejects.toMatchObject({ reason: 'unavailable' });
  });

  it('an already aborted signal aborts the stream', async () => {
    const { client, calls } = scriptedClient();
    const engine = await createGoogleSpeechEngine({ client });
    const controller = new AbortController();
    controller.abort();
    const stream = engine.start({ language: 'en-US', sampleRateHertz: 16_000, signal: controller.signal });
    stream.write(pcm(0.1));
    await expect(stream.end()).rejects.toMatchObject({ code: 'aborted' });
    expect(calls).toHaveLength(0);
  });
});
