/**
 * One way to stop a child: a first signal that lets it finish (SIGINT for ffmpeg, SIGTERM for most), then
 * SIGKILL once the grace is over. Every call returns the same promise, and a child that already exited is
 * sent nothing.
 */
import type { ChildProcess } from 'node:child_process';

/** Sends a signal to the child if it is still there; never throws. */
export type SignalSender = (signal: NodeJS.Signals) => void;

/** A sender for a Node child: nothing once it has exited (or never started), and ESRCH ignored. */
export function childSignalSender(child: () => ChildProcess | undefined): SignalSender {
  return (signal) => {
    const c = child();
    if (c === undefined || c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
    try {
      c.kill(signal);
    } catch {
      // already gone: its exit handlers report it
    }
  };
}

/**
 * The stop for one child: `send` delivers signals, `exited` settles once it is gone. The returned function's
 * first call sends `first`, then SIGKILL after `graceMs` (that call's grace) unless the child exited meanwhile;
 * every call returns `exited`. The kill timer keeps our process alive until the child is gone, on purpose.
 */
export function createStagedStop<T>(
  send: SignalSender,
  exited: Promise<T>,
  first: NodeJS.Signals = 'SIGTERM',
): (graceMs: number) => Promise<T> {
  let gone = false;
  let started = false;
  const finished = exited.finally(() => {
    gone = true;
  });
  finished.catch(() => undefined);
  return (graceMs) => {
    if (started || gone) return exited;
    started = true;
    send(first);
    const timer = setTimeout(() => {
      if (!gone) send('SIGKILL');
    }, graceMs);
    void finished.finally(() => clearTimeout(timer)).catch(() => undefined);
    return exited;
  };
}
