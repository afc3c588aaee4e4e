/**
 * The running phase: watch the call (status checks every interval), ffmpeg (exit, stall), the helpers and
 * the browser, until a stop is requested or something fails. Returns normally on stop; throws on failure.
 */
import { emptyLongEnough, trackEmpty, type EmptySince } from '../browser/empty-call-watch.ts';
import { evaluateStatusChecks, initialCheckState, type StatusCheckConfig } from '../browser/status-checks.ts';
import type { PreparedCapture } from '../capture/capture-backend.ts';
import type { ScribaConfig } from '../config/config.ts';
import { ScribaError, type ErrorCode } from '../domain/errors.ts';
import type { StopReason } from '../domain/session-state.ts';
import { evaluateLiveness, type FfmpegProgress } from '../ffmpeg/index.ts';
import { pause } from '../lib/abort.ts';
import type { Logger } from '../log/logger.ts';
import type { CaptureProcess, SessionBrowser, SessionPage } from './session-runtime.ts';
import type { SessionProgress } from './session-types.ts';

const TICK_MS = 1000;
const PARTICIPANTS_EVERY_MS = 5000;
const STALL_TIMEOUT_MS = 15_000;

export interface MonitorInput {
  readonly config: ScribaConfig;
  readonly maxDurationMs: number;
  readonly page: Pick<SessionPage, 'participantCount' | 'participants' | 'snapshot'>;
  /** Null for a transcription-only session (no capture ffmpeg): no stall check, wall-clock max duration. */
  readonly ffmpeg: Pick<CaptureProcess, 'exited'> | null;
  /** ffmpeg progress lines, as they come; returns an unsubscribe function. */
  subscribeProgress(listener: (p: FfmpegProgress) => void): () => void;
  readonly capture: Pick<PreparedCapture, 'helperDied'>;
  readonly browser: Pick<SessionBrowser, 'onDisconnect'>;
  readonly captureStartedAtMs: number;
  readonly stopSignal: AbortSignal;
  readonly now: () => number;
  readonly log: Logger;
  onParticipants(list: Awaited<ReturnType<SessionPage['participants']>>): void;
  onStop(reason: Exclude<StopReason, 'error' | 'requested' | 'signal'>): void;
  onProgress(p: SessionProgress): void;
}

export function statusCheckConfig(config: ScribaConfig): StatusCheckConfig {
  const c = config.checks;
  return {
    emptyCallTimeoutMs: c.emptyCallTimeoutSec * 1000,
    noMediaTimeoutMs: c.noMediaTimeoutSec * 1000,
    allMutedTimeoutMs: c.allMutedTimeoutSec * 1000,
    iceTimeoutMs: c.iceTimeoutSec * 1000,
    pageHungTimeoutMs: c.pageHungTimeoutSec * 1000,
    // Max duration has its own exact timer below; the checks run only every interval.
    maxDurationMs: null,
  };
}

const VERDICT_ERROR: Readonly<Record<string, ErrorCode>> = { no_media: 'no_media', ice_failed: 'ice_failed', page_hung: 'page_hung' };

export async function monitorSession(m: MonitorInput): Promise<void> {
  const checks = statusCheckConfig(m.config);
  const intervalMs = m.config.checks.intervalSec * 1000;
  let checkState = initialCheckState(m.now());
  let lastCheckAt = m.now();
  let lastParticipantsAt = m.now();
  let lastProgress: { atMs: number; frame: number } | null = null;
  let emptySince: EmptySince = null;
  // Max duration runs on the media clock, so the file is as long as asked: each progress line re-arms an
  // exact timer for what remains. The clock is frame= / fps (frames fed to the encoder), not time= (muxed
  // packets), which trails by x264's lookahead and frame-thread delay (~0.5 s) that a stop flushes into the
  // file anyway. The wall-clock timer is the fallback if progress stops.
  const fps = m.config.capture.fps;
  let maxTimer = setTimeout(() => m.onStop('max_duration'), Math.max(0, m.captureStartedAtMs + m.maxDurationMs - m.now()));
  const unsubscribe = subscribeProgress(m, (frame) => {
    if (!lastProgress || frame > lastProgress.frame) lastProgress = { atMs: m.now(), frame };
    clearTimeout(maxTimer);
    maxTimer = setTimeout(() => m.onStop('max_duration'), Math.max(0, m.maxDurationMs - (frame / fps) * 1000));
  });
  const broke = watchForBreakage(m);
  try {
    while (!m.stopSignal.aborted) {
      const failure = await Promise.race([pause(TICK_MS, m.stopSignal).then(() => null), broke]);
      if (failure) throw failure;
      if (m.stopSignal.aborted) return;
      const now = m.now();
      if (m.ffmpeg && evaluateLiveness(lastProgress, m.captureStartedAtMs, now, STALL_TIMEOUT_MS) === 'stalled') {
        throw new ScribaError('ffmpeg_failed', `ffmpeg made no progress for ${STALL_TIMEOUT_MS / 1000} s`, { retryable: true });
      }
      // The empty-call rule every tick (one cheap probe), so leaving is noticed within about a second.
      emptySince = trackEmpty(emptySince, await m.page.participantCount(), m.now());
      if (emptyLongEnough(emptySince, m.now(), checks.emptyCallTimeoutMs)) {
        m.log.info({ aloneMs: m.now() - (emptySince ?? 0) }, 'status check: the recorder is alone in the call');
        m.onStop('empty_call');
        return;
      }
      if (now - lastParticipantsAt >= PARTICIPANTS_EVERY_MS) {
        lastParticipantsAt = now;
        m.onParticipants(await m.page.participants());
      }
      if (now - lastCheckAt < intervalMs) continue;
      lastCheckAt = now;
      const snapshot = await m.page.snapshot({ timeoutMs: 5000 });
      const { state, verdict } = evaluateStatusChecks(checkState, snapshot, m.now(), checks);
      checkState = state;
      if (!verdict) continue;
      m.log.info({ verdict }, `status check: ${verdict.message}`);
      if (verdict.kind === 'finished') {
        m.onStop(verdict.reason === 'all_muted' ? 'all_muted' : verdict.reason === 'max_duration' ? 'max_duration' : 'empty_call');
        return;
      }
      throw new ScribaError(VERDICT_ERROR[verdict.reason] ?? 'internal', verdict.message, { retryable: false });
    }
  } finally {
    clearTimeout(maxTimer);
    unsubscribe();
  }
}

/** Resolves with a failure when ffmpeg, a helper or the browser dies while we are not stopping. */
function watchForBreakage(m: MonitorInput): Promise<ScribaError> {
  return Promise.race([
    ...(m.ffmpeg === null
      ? []
      : [
          m.ffmpeg.exited.then(
            (exit) =>
              new ScribaError('ffmpeg_failed', `ffmpeg exited unexpectedly: ${exit.lastError ?? `exit ${exit.code ?? exit.signal}`}`, {
                retryable: true,
              }),
          ),
        ]),
    m.capture.helperDied.then((msg) => new ScribaError('helper_failed', msg, { scope: 'system', retryable: true })),
    new Promise<ScribaError>((resolve) =>
      m.browser.onDisconnect(() => resolve(new ScribaError('browser_crashed', 'the browser disconnected', { retryable: true }))),
    ),
  ]);
}

function subscribeProgress(m: MonitorInput, onFrame: (frame: number) => void): () => void {
  return m.subscribeProgress((p) => {
    onFrame(p.frame);
    m.onProgress({
      elapsedSec: p.timeSec,
      fps: p.fps,
      bitrateKbps: p.bitrateKbps,
      sizeBytes: p.sizeKb * 1024,
      dup: p.dup,
      drop: p.drop,
    });
  });
}
