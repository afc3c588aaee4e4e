import { describe, expect, it } from 'vitest';
import { outputsByKind, sessionOutputs } from '../../../src/session/session-outputs.ts';

const file = { kind: 'file', resolution: '720p' } as const;
const stream = { kind: 'stream', url: 'rtmp://live.example.com/app/k3y', youtubeBroadcastId: null } as const;
const transcription = { kind: 'transcription', language: 'en-US' } as const;

describe('session outputs', () => {
  it('takes a non-empty list with at most one of each kind', () => {
    expect(sessionOutputs([stream, transcription])).toEqual([stream, transcription]);
    expect(() => sessionOutputs([])).toThrow(/nothing to do/);
    expect(() => sessionOutputs([file, stream, file])).toThrow(/at most one file output/);
  });
  it('reads them by kind', () => {
    expect(outputsByKind([transcription, file])).toEqual({ file, stream: null, transcription });
    expect(outputsByKind([stream])).toEqual({ file: null, stream, transcription: null });
  });
});
