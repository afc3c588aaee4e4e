/**
 * Which files a sherpa-onnx ASR model directory must hold, by model type, and which type a directory is.
 * Pure: works on the directory's file names. The layouts are those of sherpa-onnx's pretrained model archives
 * (docs/transcription.md, "sherpa"); where a model ships both, the int8-quantized file is preferred (faster on
 * CPU, near the same accuracy).
 */

export type SherpaModelType = 'transducer' | 'paraformer' | 'whisper' | 'moonshine' | 'sense_voice';

/** Streaming models decode as audio comes (with partials); the others transcribe VAD utterances. */
export const STREAMING_SHERPA_TYPES: readonly SherpaModelType[] = ['transducer', 'paraformer'];

export type SherpaModelFiles =
  | { readonly type: 'transducer'; readonly encoder: string; readonly decoder: string; readonly joiner: string; readonly tokens: string }
  | { readonly type: 'paraformer'; readonly encoder: string; readonly decoder: string; readonly tokens: string }
  | { readonly type: 'whisper'; readonly encoder: string; readonly decoder: string; readonly tokens: string }
  | {
      readonly type: 'moonshine';
      readonly preprocessor: string;
      readonly encoder: string;
      readonly uncachedDecoder: string;
      readonly cachedDecoder: string;
      readonly tokens: string;
    }
  | { readonly type: 'sense_voice'; readonly model: string; readonly tokens: string };

export type SherpaModelResolution =
  | { readonly ok: true; readonly files: SherpaModelFiles }
  | { readonly ok: false; readonly type: SherpaModelType | 'auto'; readonly missing: readonly string[] };

/** What each type needs, as patterns an operator can read ('encoder*.onnx'). */
export const SHERPA_REQUIRED_FILES: Readonly<Record<SherpaModelType, readonly string[]>> = {
  transducer: ['encoder*.onnx', 'decoder*.onnx', 'joiner*.onnx', 'tokens.txt'],
  paraformer: ['encoder*.onnx', 'decoder*.onnx', 'tokens.txt'],
  whisper: ['*-encoder*.onnx', '*-decoder*.onnx', '*-tokens.txt'],
  moonshine: ['preprocess.onnx', 'encode*.onnx', 'uncached_decode*.onnx', 'cached_decode*.onnx', 'tokens.txt'],
  sense_voice: ['model*.onnx', 'tokens.txt'],
};

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** The file matching `glob`, the int8 one first; null when none does. */
function pick(files: readonly string[], glob: string): string | null {
  const re = globToRegExp(glob);
  const matches = files.filter((f) => re.test(f)).sort();
  return matches.find((f) => f.includes('int8')) ?? matches[0] ?? null;
}

/** The type a directory's files look like, or null. */
export function detectSherpaModelType(files: readonly string[]): SherpaModelType | null {
  const has = (glob: string): boolean => pick(files, glob) !== null;
  if (has('preprocess.onnx')) return 'moonshine';
  if (has('joiner*.onnx')) return 'transducer';
  if (has('*-encoder*.onnx') && has('*-tokens.txt')) return 'whisper';
  if (has('encoder*.onnx') && has('decoder*.onnx')) return 'paraformer';
  if (has('model*.onnx')) return 'sense_voice';
  return null;
}

export function resolveSherpaModel(files: readonly string[], wanted: SherpaModelType | 'auto'): SherpaModelResolution {
  const type = wanted === 'auto' ? detectSherpaModelType(files) : wanted;
  if (type === null) return { ok: false, type: 'auto', missing: ['an ASR model: none of the layouts matched (see docs/transcription.md)'] };
  const globs = SHERPA_REQUIRED_FILES[type];
  const found = globs.map((g) => pick(files, g));
  const missing = globs.filter((_, i) => found[i] === null);
  if (missing.length > 0) return { ok: false, type, missing };
  const f = found as string[];
  switch (type) {
    case 'transducer':
      return { ok: true, files: { type, encoder: f[0]!, decoder: f[1]!, joiner: f[2]!, tokens: f[3]! } };
    case 'paraformer':
    case 'whisper':
      return { ok: true, files: { type, encoder: f[0]!, decoder: f[1]!, tokens: f[2]! } };
    case 'moonshine':
      return {
        ok: true,
        files: { type, preprocessor: f[0]!, encoder: f[1]!, uncachedDecoder: f[2]!, cachedDecoder: f[3]!, tokens: f[4]! },
      };
    case 'sense_voice':
      return { ok: true, files: { type, model: f[0]!, tokens: f[1]! } };
  }
}

/** Where to get models, for error messages. */
export const SHERPA_MODELS_URL = 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models';
