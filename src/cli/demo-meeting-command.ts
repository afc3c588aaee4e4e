/** `scriba demo-meeting`: serve the synthetic meeting until Ctrl-C. */
import { ensureFixtures, startDemoMeeting } from '../demo-meeting/demo-meeting-server.ts';
import { listenForStop } from './stop-signals.ts';

export async function runDemoMeeting(opts: { port: number; content: string }): Promise<number> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    process.stderr.write(`--port must be a port number, got "${opts.port}"\n`);
    return 2;
  }
  if (opts.content !== 'flat' && opts.content !== 'camera') {
    process.stderr.write(`--content must be flat or camera, got "${opts.content}"\n`);
    return 2;
  }
  const stopSignals = listenForStop();
  const stop = new AbortController();
  void stopSignals.received.then(() => stop.abort());
  try {
    // The camera-like clips are generated on first use (scripts/make-fixtures.sh; a no-op when current).
    await ensureFixtures({ signal: stop.signal });
    const meeting = await startDemoMeeting({ port: opts.port, signal: stop.signal, defaultContent: opts.content });
    process.stdout.write(
      `synthetic meeting at ${meeting.url}/demo-room  (query: participants, content=flat|camera, leaveAfter, mediaStopAfter, …)\n`,
    );
    await stopSignals.received;
    await meeting.close();
    return 0;
  } finally {
    stopSignals.dispose();
  }
}
