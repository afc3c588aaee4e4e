/** Small helpers so every wait in a session can be cut short by an AbortSignal. */

/** Resolves after ms, or early (without throwing) when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs fn with a time limit; on timeout returns the fallback instead of throwing. */
export async function withTimeout<T>(fn: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([fn.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
