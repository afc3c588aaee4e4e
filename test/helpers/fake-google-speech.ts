/**
 * A local stand-in for Google's `google.cloud.speech.v1.Speech/StreamingRecognize`, served by @grpc/grpc-js on
 * 127.0.0.1 (port 0) from the client library's own protos.
 *
 * It speaks the protocol as Google does: the first request must carry only a streamingConfig, later ones only
 * audioContent of at most 25 KB (violations end the call with INVALID_ARGUMENT); after streamLimitSec of audio
 * the call ends with OUT_OF_RANGE, and audio past the limit is not taken. It "recognizes" honestly from the
 * bytes it received: it is told the PCM of each known phrase and finds them in the call's audio by exact
 * match (the engine must pass audio through unchanged, sample-aligned); a phrase counts once all of it has
 * arrived on the same call. resultEndTime is where the phrase ends in that call's audio. With interimResults
 * it first sends an interim result once a phrase's first half has arrived.
 *
 * Every call is recorded: its config, the audio it took, its requests and what it answered.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from '../../src/demo-meeting/fixtures.ts';

export interface FakePhrase {
  readonly text: string;
  /** 16 kHz mono s16le, exactly as the test writes it into the engine. */
  readonly pcm: Buffer;
}

export interface FakeSpeechFailure {
  readonly code: grpc.status;
  readonly details: string;
}

export interface FakeGoogleSpeechOptions {
  readonly phrases: readonly FakePhrase[];
  /** Audio seconds one call may carry before OUT_OF_RANGE (Google: ~305). Default 305. */
  readonly streamLimitSec?: number;
  /** Fail every call at its first request with this status (auth, quota). */
  readonly failWith?: FakeSpeechFailure;
  /** Fail only these calls (0-based, in order of arrival) at their first request. */
  readonly failCalls?: ReadonlyMap<number, FakeSpeechFailure>;
}

export interface FakeFinal {
  readonly text: string;
  /** Seconds into this call's audio. */
  readonly resultEndSec: number;
}

export interface FakeCallRecord {
  readonly index: number;
  config: unknown;
  /** The audio this call took, in order. */
  readonly audio: Buffer[];
  audioBytes: number;
  requests: number;
  largestAudioRequest: number;
  readonly finals: FakeFinal[];
  readonly interims: string[];
  /** How it ended: 'OK', 'OUT_OF_RANGE', 'CANCELLED' (by the client), or another status name. */
  status: string | null;
  readonly violations: string[];
}

export interface FakeGoogleSpeech {
  readonly port: number;
  readonly calls: readonly FakeCallRecord[];
  /** Calls not yet ended. */
  openCalls(): number;
  close(): Promise<void>;
}

const SAMPLE_RATE = 16_000;
const BYTES_PER_SEC = SAMPLE_RATE * 2;
const MAX_AUDIO_REQUEST = 25_000;

const PROTO_DIRS = [
  path.join(REPO_ROOT, 'node_modules/@google-cloud/speech/build/protos'),
  path.join(REPO_ROOT, 'node_modules/google-gax/build/protos'),
];

function loadSpeechService(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync('google/cloud/speech/v1/cloud_speech.proto', {
    includeDirs: PROTO_DIRS,
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: { cloud: { speech: { v1: { Speech: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.google.cloud.speech.v1.Speech.service;
}

const duration = (sec: number): { seconds: number; nanos: number } => {
  const whole = Math.floor(sec);
  return { seconds: whole, nanos: Math.round((sec - whole) * 1e9) };
};

interface PhraseKey extends FakePhrase {
  /** A short run of loud samples inside the phrase: found fast by indexOf, where the phrase's leading silence
   *  would make a whole-phrase search crawl through silent audio. */
  readonly key: Buffer;
  readonly keyOffset: number;
}

function phraseKey(phrase: FakePhrase): PhraseKey {
  const length = Math.min(64, phrase.pcm.length);
  let offset = 0;
  for (let i = 0; i + length <= phrase.pcm.length; i += 2) {
    if (Math.abs(phrase.pcm.readInt16LE(i)) > 500) {
      offset = Math.min(i, phrase.pcm.length - length);
      break;
    }
  }
  offset -= offset % 2;
  return { ...phrase, key: phrase.pcm.subarray(offset, offset + length), keyOffset: offset };
}

interface Request {
  streamingConfig?: { interimResults?: boolean } | null;
  audioContent?: Buffer | null;
}

type Call = grpc.ServerDuplexStream<Request, unknown>;

export async function startFakeGoogleSpeech(options: FakeGoogleSpeechOptions): Promise<FakeGoogleSpeech> {
  const limitBytes = Math.floor((options.streamLimitSec ?? 305) * SAMPLE_RATE) * 2;
  const calls: FakeCallRecord[] = [];
  const open = new Set<Call>();
  const server = new grpc.Server();
  const keys = options.phrases.map(phraseKey);

  const streamingRecognize = (call: Call): void => {
    const record: FakeCallRecord = {
      index: calls.length,
      config: null,
      audio: [],
      audioBytes: 0,
      requests: 0,
      largestAudioRequest: 0,
      finals: [],
      interims: [],
      status: null,
      violations: [],
    };
    calls.push(record);
    open.add(call);
    let received = Buffer.alloc(0);
    let searchFrom = 0; // bytes: phrases are looked for after the last final
    const interimSent = new Set<number>();
    let interimResults = false;
    let ended = false;

    const finish = (status: grpc.status, name: string, details: string): void => {
      if (ended) return;
      ended = true;
      record.status = name;
      open.delete(call);
      if (status === grpc.status.OK) call.end();
      else call.emit('error', { code: status, details });
    };
    call.on('cancelled', () => {
      if (ended) return;
      ended = true;
      record.status = 'CANCELLED';
      open.delete(call);
    });

    /** Where each phrase starts in `received` (≥ searchFrom), and how much of it has arrived. */
    const locate = (key: PhraseKey): { start: number; complete: boolean } | null => {
      let at = received.indexOf(key.key, searchFrom + key.keyOffset);
      while (at !== -1) {
        const start = at - key.keyOffset;
        if (start % 2 === 0) {
          const have = Math.min(key.pcm.length, received.length - start);
          if (received.subarray(start, start + have).equals(key.pcm.subarray(0, have))) return { start, complete: have === key.pcm.length };
        }
        at = received.indexOf(key.key, at + 1);
      }
      return null;
    };

    const recognize = (): void => {
      for (;;) {
        let best: { at: number; phrase: PhraseKey } | null = null;
        for (const phrase of keys) {
          const found = locate(phrase);
          if (found?.complete && (best === null || found.start < best.at)) best = { at: found.start, phrase };
        }
        if (best === null) break;
        const endByte = best.at + best.phrase.pcm.length;
        const startSec = best.at / BYTES_PER_SEC;
        const endSec = endByte / BYTES_PER_SEC;
        const words = best.phrase.text.split(/\s+/);
        const step = (endSec - startSec) / words.length;
        call.write({
          results: [
            {
              isFinal: true,
              resultEndTime: duration(endSec),
              languageCode: 'en-us',
              alternatives: [
                {
                  transcript: best.phrase.text,
                  confidence: 0.9,
                  words: words.map((word, i) => ({
                    word,
                    startTime: duration(startSec + i * step),
                    endTime: duration(startSec + (i + 1) * step),
                  })),
                },
              ],
            },
          ],
        });
        record.finals.push({ text: best.phrase.text, resultEndSec: endSec });
        searchFrom = endByte;
      }
      if (!interimResults) return;
      // A phrase at least half (but not all) here: one interim hypothesis.
      keys.forEach((phrase, index) => {
        if (interimSent.has(index)) return;
        const found = locate(phrase);
        if (found === null || found.complete || received.length - found.start < phrase.pcm.length / 2) return;
        interimSent.add(index);
        const words = phrase.text.split(/\s+/);
        const partial = words.slice(0, Math.max(1, Math.floor(words.length / 2))).join(' ');
        record.interims.push(partial);
        call.write({
          results: [
            {
              isFinal: false,
              stability: 0.5,
              resultEndTime: duration(received.length / BYTES_PER_SEC),
              alternatives: [{ transcript: partial }],
            },
          ],
        });
      });
    };

    call.on('data', (request: Request) => {
      if (ended) return;
      record.requests += 1;
      const first = record.requests === 1;
      const hasConfig = request.streamingConfig !== null && request.streamingConfig !== undefined;
      const audio = request.audioContent ?? null;
      if (first) {
        const failure = options.failCalls?.get(record.index) ?? options.failWith;
        if (failure !== undefined) {
          finish(failure.code, grpc.status[failure.code], failure.details);
          return;
        }
        if (!hasConfig || (audio !== null && audio.length > 0)) {
          record.violations.push('first request must carry only streamingConfig');
          finish(grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'first request must carry only streaming_config');
          return;
        }
        record.config = request.streamingConfig;
        interimResults = request.streamingConfig?.interimResults === true;
        return;
      }
      if (hasConfig) {
        record.violations.push(`request ${record.requests} carries a streamingConfig`);
        finish(grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'streaming_config is only allowed in the first request');
        return;
      }
      if (audio === null) return;
      record.largestAudioRequest = Math.max(record.largestAudioRequest, audio.length);
      if (audio.length > MAX_AUDIO_REQUEST) {
        record.violations.push(`request ${record.requests} carries ${audio.length} bytes of audio`);
        finish(grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'audio_content exceeds 25 KB');
        return;
      }
      const take = audio.subarray(0, Math.max(0, limitBytes - received.length));
      if (take.length > 0) {
        record.audio.push(Buffer.from(take));
        record.audioBytes += take.length;
        received = Buffer.concat([received, take]);
        recognize();
      }
      if (take.length < audio.length) {
        finish(
          grpc.status.OUT_OF_RANGE,
          'OUT_OF_RANGE',
          `Exceeded maximum allowed stream duration of ${options.streamLimitSec ?? 305} seconds.`,
        );
      }
    });
    // The client half-closed: everything it sent has been looked at; Google ends the call with OK.
    call.on('end', () => finish(grpc.status.OK, 'OK', ''));
  };

  server.addService(loadSpeechService(), { streamingRecognize });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    calls,
    openCalls: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls a test left open would hold tryShutdown forever.
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}
