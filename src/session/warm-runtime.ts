/**
 * A session runtime that serves a session's display, sound server and browser from a warm environment
 * (warm-env.ts) when one fits, and from the cold path otherwise. The session cannot tell: it still gets its
 * own scratch directory, and the warm environment's parts arrive through the same calls. Whatever a session
 * took is released with that directory, so an environment serves one meeting and is then gone.
 */
import type { CaptureSpec } from '../capture/capture-backend.ts';
import type { Logger } from '../log/logger.ts';
import type { SessionBrowser, SessionRuntime } from './session-runtime.ts';
import { discardWarmEnv, type EnvParts, sameSpec, startWarmEnv, type WarmEnv, warmEnvDied } from './warm-env.ts';
import { WarmPool, type WarmPoolStats } from './warm-pool.ts';

export interface WarmSource {
  /** A ready environment made for `spec`, or null. */
  take(spec: CaptureSpec): WarmEnv | null;
}

export function withWarmEnvs(base: SessionRuntime, warm: WarmSource, log: Pick<Logger, 'info'>): SessionRuntime {
  /** The session's own scratch directory → what it was given there. */
  const bound = new Map<string, { env: WarmEnv; browserTaken: boolean }>();
  const sessionOf = new Map<string, string>();
  return {
    ...base,
    scratch: {
      async create(sessionId) {
        const dir = await base.scratch.create(sessionId);
        sessionOf.set(dir, sessionId);
        return dir;
      },
      async remove(dir) {
        sessionOf.delete(dir);
        const b = bound.get(dir);
        bound.delete(dir);
        // A session stopped before it launched its browser has not closed it: discard closes everything.
        if (b) await discardWarmEnv(base, b.env);
        await base.scratch.remove(dir);
      },
    },
    capture: {
      name: base.capture.name,
      async prepare(spec, workDir, signal) {
        signal.throwIfAborted();
        const env = bound.has(workDir) ? null : warm.take(spec);
        if (env === null) return base.capture.prepare(spec, workDir, signal);
        bound.set(workDir, { env, browserTaken: false });
        log.info({ sessionId: sessionOf.get(workDir) ?? '', warmDir: env.workDir }, 'session uses a warm capture environment');
        return env.capture;
      },
    },
    browsers: {
      async launch(l): Promise<SessionBrowser> {
        const b = bound.get(l.workDir);
        if (b === undefined || b.browserTaken) return base.browsers.launch(l);
        l.signal.throwIfAborted();
        b.browserTaken = true;
        return b.env.browser;
      },
    },
  };
}

export interface WarmEnvPool extends WarmSource {
  stats(): WarmPoolStats;
  /** Discards the ready environments and waits for starts under way. */
  close(): Promise<void>;
}

/** Keeps `size` environments for `spec` warm, made with the runtime's own (cold) parts. */
export function startWarmEnvPool(
  rt: EnvParts,
  o: { readonly spec: CaptureSpec; readonly size: number; readonly log: Logger },
): WarmEnvPool {
  const pool = new WarmPool<WarmEnv>({
    size: o.size,
    start: (signal) => startWarmEnv(rt, o.spec, signal),
    whenDead: warmEnvDied,
    discard: (env) => discardWarmEnv(rt, env),
    log: o.log,
  });
  pool.start();
  return {
    take: (wanted) => (sameSpec(o.spec, wanted) ? pool.take() : null),
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}
