/**
 * The sherpa engine without a model (none can be installed here: no registry this machine reaches ships
 * one): configuration errors name what is missing and where models are; a corrupt model is refused with
 * sherpa-onnx's own error instead of aborting the process (it is loaded in a child process first); the
 * runtime itself (sherpa-onnx-node's prebuilt linux binary) loads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSherpaSpeechEngine } from '../../src/transcription/sherpa-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'scriba-sherpa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sherpa speech engine', () => {
  it('asks for a model directory when none is configured', async () => {
    await expect(createSherpaSpeechEngine({ modelDir: '' })).rejects.toMatchObject({
      name: 'SpeechEngineError',
      reason: 'invalid_request',
      retryable: false,
    });
    await expect(createSherpaSpeechEngine({ modelDir: '' })).rejects.toThrow(
      /transcription\.sherpa\.modelDir.*encoder\*\.onnx, decoder\*\.onnx, joiner\*\.onnx, tokens\.txt.*github\.com\/k2-fsa\/sherpa-onnx/,
    );
  });

  it('names the directory it cannot read and the files a model lacks', async () => {
    await expect(createSherpaSpeechEngine({ modelDir: join(dir, 'nope') })).rejects.toThrow(
      /cannot read the sherpa model directory .*nope: ENOENT/,
    );
    const partial = join(dir, 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'encoder-epoch-99.onnx'), '');
    writeFileSync(join(partial, 'tokens.txt'), '');
    await expect(createSherpaSpeechEngine({ modelDir: partial, modelType: 'transducer' })).rejects.toThrow(
      /a transducer model needs: missing decoder\*\.onnx, joiner\*\.onnx; models: https/,
    );
    await expect(createSherpaSpeechEngine({ modelDir: partial, modelType: 'auto' })).rejects.toThrow(/no known model layout/);
  });

  it('refuses a corrupt model with sherpa-onnx’s error, and this process lives on', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    for (const f of ['encoder-epoch-99.onnx', 'decoder-epoch-99.onnx', 'joiner-epoch-99.onnx']) writeFileSync(join(bad, f), 'not a model');
    writeFileSync(join(bad, 'tokens.txt'), '<blk> 0\na 1\n');
    const error = await createSherpaSpeechEngine({ modelDir: bad }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SpeechEngineError', reason: 'engine_failed' });
    expect((error as Error).message).toMatch(/cannot load this model: Load model from .*\.onnx failed/);
  }, 60_000);

  it('has its runtime: sherpa-onnx-node loads from its npm package', () => {
    const sherpa = createRequire(import.meta.url)('sherpa-onnx-node') as Record<string, unknown>;
    expect(typeof sherpa['OnlineRecognizer']).toBe('function');
    expect(typeof sherpa['OfflineRecognizer']).toBe('function');
  });
});
