/**
 * Default backend: Chromium (not headless) on a private Xvfb display, its sound in a private PulseAudio null
 * sink, ffmpeg reading both with x11grab + pulse. Measured cheaper than headless tab capture (the GPU process
 * read-back disappears; see docs/capture.md), and it needs no privileges or kernel modules.
 */
import { buildX11PulseInputs } from '../ffmpeg/index.ts';
import type { CaptureBackend, CaptureSpec, PreparedCapture } from './capture-backend.ts';
import { NULL_SINK, PLAYBACK_LATENCY_MSEC, startPulse } from './pulse.ts';
import { createSessionDirs, sessionEnv } from './session-env.ts';
import { startXvfb } from './xvfb.ts';

export function createX11PulseBackend(): CaptureBackend {
  return {
    name: 'x11-pulse',
    async prepare(spec: CaptureSpec, workDir: string, signal: AbortSignal): Promise<PreparedCapture> {
      const dirs = await createSessionDirs(workDir);
      const baseEnv = sessionEnv(dirs, {});
      const xvfb = await startXvfb({ width: spec.width, height: spec.height, env: baseEnv, signal });
      let pulse;
      try {
        pulse = await startPulse({ runtimeDir: dirs.runtime, env: baseEnv, signal });
      } catch (err) {
        await xvfb.process.stop(1000);
        throw err;
      }
      const env = sessionEnv(dirs, {
        DISPLAY: xvfb.display,
        PULSE_SERVER: pulse.server,
        PULSE_SINK: NULL_SINK,
        // A short playback buffer for libpulse clients (Chromium). Chromium schedules video against the latency
        // PulseAudio reports while the null sink's monitor hands audio over at once, so a long buffer shows up
        // as audio ahead of the picture; a short one keeps that offset small (the remainder is corrected by
        // capture.audioOffsetMs, measured by bench:capture).
        PULSE_LATENCY_MSEC: String(PLAYBACK_LATENCY_MSEC),
      });
      const helpers = [xvfb.process, pulse.process];
      let closing = false;
      let closed: Promise<void> | null = null;
      return {
        browser: { env, headless: false, kiosk: true },
        ffmpegEnv: env,
        pulseSource: pulse.monitorSource,
        ffmpegInputs: buildX11PulseInputs({
          display: xvfb.display,
          width: spec.width,
          height: spec.height,
          fps: spec.fps,
          pulseSource: pulse.monitorSource,
          audioOffsetMs: spec.audioOffsetMs,
        }),
        helperPids: helpers.flatMap((h) => (h.pid === undefined ? [] : [h.pid])),
        helperDied: Promise.race(
          helpers.map(async (h) => {
            const exit = await h.exited;
            if (closing) return new Promise<string>(() => {});
            return `${h.name} exited (${exit.code ?? exit.signal}): ${h.recentOutput().trim().slice(-500)}`;
          }),
        ),
        close() {
          closing = true;
          closed ??= Promise.allSettled(helpers.map((h) => h.stop(2000))).then(() => undefined);
          return closed;
        },
      };
    },
  };
}
