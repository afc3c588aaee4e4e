/**
 * A capture environment started ahead of any session: a scratch directory, the display and sound server,
 * and Chromium on its blank first tab, made through the same runtime calls a session makes for itself, so a
 * warm environment is exactly what a cold start would have made.
 */
import type { CaptureSpec, PreparedCapture } from '../capture/capture-backend.ts';
import type { SessionBrowser, SessionRuntime } from './session-runtime.ts';

export interface WarmEnv {
  readonly workDir: string;
  readonly spec: CaptureSpec;
  readonly capture: PreparedCapture;
  readonly browser: SessionBrowser;
}

export type EnvParts = Pick<SessionRuntime, 'scratch' | 'capture' | 'browsers'>;

/** Pure: whether an environment made for `warm` serves a session that needs `wanted`. */
export function sameSpec(warm: CaptureSpec, wanted: CaptureSpec): boolean {
  return (
    warm.width === wanted.width && warm.height === wanted.height && warm.fps === wanted.fps && warm.audioOffsetMs === wanted.audioOffsetMs
  );
}

export async function startWarmEnv(rt: EnvParts, spec: CaptureSpec, signal: AbortSignal): Promise<WarmEnv> {
  signal.throwIfAborted();
  const workDir = await rt.scratch.create('warm');
  let capture: PreparedCapture | null = null;
  try {
    capture = await rt.capture.prepare(spec, workDir, signal);
    const browser = await rt.browsers.launch({ workDir, width: spec.width, height: spec.height, capture: capture.browser, signal });
    return { workDir, spec, capture, browser };
  } catch (err) {
    await capture?.close();
    await rt.scratch.remove(workDir).catch(() => undefined);
    throw err;
  }
}

/** Resolves with a reason once a helper or the browser is gone. */
export function warmEnvDied(env: WarmEnv): Promise<string> {
  return Promise.race([
    env.capture.helperDied,
    new Promise<string>((resolve) => env.browser.onDisconnect(() => resolve('the browser went away'))),
  ]);
}

/** Stops everything of an environment and removes its directory. Never rejects. */
export async function discardWarmEnv(rt: EnvParts, env: WarmEnv): Promise<void> {
  await env.browser.close().catch(() => undefined);
  await env.capture.close().catch(() => undefined);
  await rt.scratch.remove(env.workDir).catch(() => undefined);
}
