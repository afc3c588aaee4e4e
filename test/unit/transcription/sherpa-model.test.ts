import { describe, expect, it } from 'vitest';
import { detectSherpaModelType, resolveSherpaModel } from '../../../src/transcription/sherpa-model.ts';

// File lists as sherpa-onnx's pretrained archives lay them out.
const ZIPFORMER = [
  'encoder-epoch-99-avg-1.onnx',
  'encoder-epoch-99-avg-1.int8.onnx',
  'decoder-epoch-99-avg-1.onnx',
  'joiner-epoch-99-avg-1.int8.onnx',
  'joiner-epoch-99-avg-1.onnx',
  'tokens.txt',
  'README.md',
];
const WHISPER = [
  'tiny.en-encoder.onnx',
  'tiny.en-encoder.int8.onnx',
  'tiny.en-decoder.onnx',
  'tiny.en-decoder.int8.onnx',
  'tiny.en-tokens.txt',
];
const MOONSHINE = ['preprocess.onnx', 'encode.int8.onnx', 'uncached_decode.int8.onnx', 'cached_decode.int8.onnx', 'tokens.txt'];
const PARAFORMER = ['encoder.int8.onnx', 'decoder.int8.onnx', 'tokens.txt'];
const SENSE_VOICE = ['model.int8.onnx', 'tokens.txt'];

describe('sherpa model layouts', () => {
  it('recognizes each layout', () => {
    expect(detectSherpaModelType(ZIPFORMER)).toBe('transducer');
    expect(detectSherpaModelType(WHISPER)).toBe('whisper');
    expect(detectSherpaModelType(MOONSHINE)).toBe('moonshine');
    expect(detectSherpaModelType(PARAFORMER)).toBe('paraformer');
    expect(detectSherpaModelType(SENSE_VOICE)).toBe('sense_voice');
    expect(detectSherpaModelType(['README.md'])).toBeNull();
  });

  it('picks the files, int8 first', () => {
    expect(resolveSherpaModel(ZIPFORMER, 'auto')).toEqual({
      ok: true,
      files: {
        type: 'transducer',
        encoder: 'encoder-epoch-99-avg-1.int8.onnx',
        decoder: 'decoder-epoch-99-avg-1.onnx',
        joiner: 'joiner-epoch-99-avg-1.int8.onnx',
        tokens: 'tokens.txt',
      },
    });
    expect(resolveSherpaModel(WHISPER, 'whisper')).toEqual({
      ok: true,
      files: { type: 'whisper', encoder: 'tiny.en-encoder.int8.onnx', decoder: 'tiny.en-decoder.int8.onnx', tokens: 'tiny.en-tokens.txt' },
    });
    expect(resolveSherpaModel(MOONSHINE, 'auto')).toMatchObject({
      ok: true,
      files: { type: 'moonshine', uncachedDecoder: 'uncached_decode.int8.onnx', cachedDecoder: 'cached_decode.int8.onnx' },
    });
  });

  it('names what is missing', () => {
    expect(resolveSherpaModel(['encoder.onnx', 'tokens.txt'], 'transducer')).toEqual({
      ok: false,
      type: 'transducer',
      missing: ['decoder*.onnx', 'joiner*.onnx'],
    });
    expect(resolveSherpaModel([], 'auto')).toMatchObject({ ok: false, type: 'auto' });
    expect(resolveSherpaModel(WHISPER, 'moonshine')).toMatchObject({
      ok: false,
      missing: expect.arrayContaining(['preprocess.onnx', 'tokens.txt']),
    });
  });
});
