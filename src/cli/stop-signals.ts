/**
 * SIGTERM/SIGINT for a long-running command, listened for from its first line: a signal that arrives while it
 * starts (or just after it printed that it is ready) must still end in a clean stop, never the default death.
 */
export interface StopSignals {
  /** Resolves with the first SIGTERM or SIGINT; at once if one came already. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the listeners (a command that returned early). */
  dispose(): void;
}

export function listenForStop(): StopSignals {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  const dispose = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { received, dispose };
}

/** Runs a command's `body` under listenForStop: `stopped` is the first signal; the listeners go when it returns. */
export async function withStopSignals<T>(body: (stopped: Promise<NodeJS.Signals>) => Promise<T>): Promise<T> {
  const stopSignals = listenForStop();
  try {
    return await body(stopSignals.received);
  } finally {
    stopSignals.dispose();
  }
}
