/** `scriba demo-meeting`: serve the synthetic meeting until Ctrl-C. */
import { ensureFixtures, startDemoMeeting } from '../demo-meeting/demo-meeting-server.ts';
import { withStopSignals } from './stop-signals.ts';

export async function runDemoMeeting(opts: { port: number; content: string }): Promise<number> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    process.stderr.write(`--port must be a port number, got "${opts.port}"\n`);
    return 2;
  }
  if (opts.content !== 'flat' && opts.content !== 'camera') {
    process.stderr.write(`--content must be flat or camera, got "${opts.content}"\n`);
    return 2;
  }
  const content = opts.content; // narrowed: 'flat' | 'camera'
  return withStopSignals(async (stopped) => {
    const stop = new AbortController();
    void stopped.then(() => stop.abort());
    // The camera-like clips are generated on first use (scripts/make-fixtures.sh; a no-op when current).
    await ensureFixtures({ signal: stop.signal });
    const meeting = await startDemoMeeting({ port: opts.port, signal: stop.signal, defaultContent: content });
    process.stdout.write(
      `synthetic meeting at ${meeting.url}/demo-room  (query: participants, content=flat|camera, leaveAfter, mediaStopAfter, …)\n`,
    );
    await stopped;
    await meeting.close();
    return 0;
  });
}
