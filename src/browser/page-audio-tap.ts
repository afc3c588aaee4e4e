/**
 * The audio tap's Node side (docs/audio-tap.md): exposes a fresh binding, installs the in-page tap
 * (page-scripts/audio-tap-*.js) and removes both again. Each visible remote participant's audio arrives as
 * 16 kHz mono Int16 chunks through the binding; hidden and hidden-from-recorder participants are never tapped.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { SPEECH_SAMPLE_RATE } from '../domain/audio-format.ts';
import { messageOf, pageCall, type PageCallResult } from './page-call.ts';
import type { PageDeath } from './page-death.ts';
import { callExpression, pageScript } from './page-script.ts';

export const DEFAULT_AUDIO_TAP_CHUNK_MS = 200;
const AUDIO_TAP_START_TIMEOUT_MS = 10_000;
const AUDIO_TAP_STOP_TIMEOUT_MS = 5_000;
const BINDING_TIMEOUT_MS = 5_000;
/** How long the tap's start waits for a first remote audio track to judge whether tracks are readable. */
const TRACK_PROBE_WAIT_MS = 3000;

/** Downmix + resample + Int16 + batching, shared by the AudioWorklet and the ScriptProcessor fallback. */
const AUDIO_TAP_CORE_SOURCE = pageScript('audio-tap-core.js');
/** The AudioWorklet module (loaded from a Blob URL). */
export const AUDIO_TAP_WORKLET_SOURCE = `${AUDIO_TAP_CORE_SOURCE}\n${pageScript('audio-tap-worklet.js')}`;
const START_SOURCE = pageScript('audio-tap-start.js');
const STOP_EXPRESSION = callExpression(pageScript('audio-tap-stop.js'));

export type AudioTapStartResult =
  | { ok: true; processor: 'audio-worklet' | 'script-processor'; contextSampleRate: number }
  | { ok: false; reason: 'no_conference' | 'no_audio_context' | 'already_running' | 'page_unavailable' | 'failed'; detail: string };

export interface AudioTapStartOptions {
  /** Samples per chunk = chunkMs × 16; default 200 ms, clamped to 20..1000 ms. */
  chunkMs?: number;
  timeoutMs?: number;
}

/** What the tap needs of the page object. */
export interface AudioTapPageAccess {
  readonly page: Pick<Page, 'exposeFunction' | 'removeExposedFunction'>;
  readonly death: PageDeath;
  /** One evaluation raced against its timeout and the page's death (a dead page is marked so). */
  run(expression: string, timeoutMs: number): Promise<PageCallResult<unknown>>;
}

/** The start script's call, with the core class declared around it (its ScriptProcessor fallback uses it). */
function startExpression(binding: string, chunkSamples: number): string {
  const options = {
    binding,
    chunkSamples,
    outRate: SPEECH_SAMPLE_RATE,
    trackProbeWaitMs: TRACK_PROBE_WAIT_MS,
    workletSource: AUDIO_TAP_WORKLET_SOURCE,
  };
  return `(() => {\n${AUDIO_TAP_CORE_SOURCE}\nreturn ${callExpression(START_SOURCE, options)};\n})()`;
}

export class PageAudioTap {
  readonly #access: AudioTapPageAccess;
  /** The exposed function's name while the tap runs. */
  #binding: string | null = null;

  constructor(access: AudioTapPageAccess) {
    this.#access = access;
  }

  /**
   * Starts the tap; the page's raw messages go to `onMessage` (decode them with src/transcription/pcm-chunk.ts).
   * It follows joins, leaves, renames and mutes by itself. Never rejects: `{ ok: false, reason }` says why there
   * is no per-participant audio (e.g. no lib-jitsi-meet API: fall back to the mixed audio).
   */
  async start(onMessage: (message: unknown) => void, opts: AudioTapStartOptions = {}): Promise<AudioTapStartResult> {
    const { page, death } = this.#access;
    if (death.error) return { ok: false, reason: 'page_unavailable', detail: death.error.message };
    if (this.#binding !== null) return { ok: false, reason: 'already_running', detail: 'the audio tap is already running' };
    // A fresh name per start: an exposed function cannot be re-added under a name puppeteer still knows.
    const binding = `__scribaAudioTap_${randomUUID().replaceAll('-', '')}`;
    this.#binding = binding;
    const listener = (message: unknown): void => {
      try {
        onMessage(message);
      } catch {
        // a listener's failure must not reach puppeteer's binding plumbing
      }
    };
    const exposed = await pageCall(() => page.exposeFunction(binding, listener), { death, timeoutMs: BINDING_TIMEOUT_MS });
    if (exposed.kind !== 'ok') {
      this.#binding = null;
      const reason = exposed.kind === 'dead' ? 'page_unavailable' : 'failed';
      return { ok: false, reason, detail: `could not expose the tap's function (${exposed.kind})` };
    }
    const chunkMs = Math.min(1000, Math.max(20, opts.chunkMs ?? DEFAULT_AUDIO_TAP_CHUNK_MS));
    const chunkSamples = Math.round((chunkMs * SPEECH_SAMPLE_RATE) / 1000);
    const result = await this.#access.run(startExpression(binding, chunkSamples), opts.timeoutMs ?? AUDIO_TAP_START_TIMEOUT_MS);
    const started = parseAudioTapStart(result);
    if (!started.ok) await this.stop(); // a timed-out start may still finish in the page
    return started;
  }

  /** Flushes every participant's last chunk, then removes the tap. Resolves whether a tap was running; never rejects. */
  async stop(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    const binding = this.#binding;
    if (binding === null) return false;
    this.#binding = null;
    const { page, death } = this.#access;
    const result = await this.#access.run(STOP_EXPRESSION, opts.timeoutMs ?? AUDIO_TAP_STOP_TIMEOUT_MS);
    if (!death.error) await pageCall(() => page.removeExposedFunction(binding), { death, timeoutMs: BINDING_TIMEOUT_MS });
    return result.kind === 'ok' && typeof result.value === 'number';
  }
}

function parseAudioTapStart(result: PageCallResult<unknown>): AudioTapStartResult {
  if (result.kind === 'dead') return { ok: false, reason: 'page_unavailable', detail: result.error.message };
  if (result.kind === 'failed') return { ok: false, reason: 'failed', detail: messageOf(result.error) };
  if (result.kind === 'timeout') return { ok: false, reason: 'failed', detail: 'the start script timed out' };
  if (result.kind === 'aborted') return { ok: false, reason: 'failed', detail: 'the start script was aborted' };
  const v = result.value as Record<string, unknown> | null;
  if (v && v['ok'] === true) {
    return {
      ok: true,
      processor: v['processor'] === 'script-processor' ? 'script-processor' : 'audio-worklet',
      contextSampleRate: typeof v['contextSampleRate'] === 'number' ? v['contextSampleRate'] : 0,
    };
  }
  const reasons = ['no_conference', 'no_audio_context', 'already_running', 'failed'] as const;
  const reason = reasons.find((r) => v !== null && typeof v === 'object' && v['reason'] === r) ?? 'failed';
  const detail = v && typeof v['detail'] === 'string' ? v['detail'] : 'the page gave no answer';
  return { ok: false, reason, detail };
}
