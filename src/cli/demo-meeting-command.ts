/** `scriba demo-meeting`: serve the synthetic meeting until Ctrl-C. */
import { startDemoMeeting } from '../demo-meeting/demo-meeting-server.ts';

export async function runDemoMeeting(opts: { port: number }): Promise<number> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    process.stderr.write(`--port must be a port number, got "${opts.port}"\n`);
    return 2;
  }
  const stop = new AbortController();
  const meeting = await startDemoMeeting({ port: opts.port, signal: stop.signal });
  process.stdout.write(`synthetic meeting at ${meeting.url}/demo-room  (query: participants, leaveAfter, mediaStopAfter, …)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stop.abort();
  await meeting.close();
  return 0;
}
