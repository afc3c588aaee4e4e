#!/usr/bin/env node
/** The `scriba` command line. */
import { parseArgs } from 'node:util';
import { ScribaError } from '../domain/errors.ts';
import { scrubText } from '../log/redact.ts';
import { asksForHelp, commandUsage } from './command-usage.ts';
import { enableCompileCache } from './compile-cache.ts';

// Each command's modules are imported when that command runs: `record` does not load the API server, the
// queue, the storage SDKs or the speech engines a worker needs, and starts its session that much sooner.

const USAGE = `Usage:
  scriba record --url <meeting URL> [--out DIR] [--max-duration S] [--resolution 720p|1080p]
                [--empty-call-timeout S] [--check-interval S] [--session-id ID] [--room-password P]
                [--log-level info|warn|…] [--stream <rtmp(s) URL | YouTube key>] [--youtube-broadcast-id ID]
                [--no-file]
  scriba serve                         control API + worker in one process (single host; SIGTERM drains)
  scriba api                           control API only (in front of a shared Redis queue)
  scriba worker                        run recording jobs from the queue (SIGTERM drains)
  scriba enqueue --url <meeting URL> [--max-duration S] [--resolution 720p|1080p] [--session-id ID]
  scriba demo-meeting [--port P] [--content flat|camera]
                                       serve the synthetic meeting on 127.0.0.1 (camera: camera-like tiles)
  scriba demo [--seconds S]            record the synthetic meeting and print the file's summary

Configuration: config/default.json, SCRIBA_CONFIG (a JSON file) and SCRIBA_* variables (docs/configuration.md).`;

enableCompileCache();

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const help = command !== undefined && asksForHelp(rest) ? commandUsage(USAGE, command) : undefined;
  if (help !== undefined) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  switch (command) {
    case 'record': {
      const { RECORD_ARG_OPTIONS } = await import('./record-options.ts');
      const { values } = parseArgs({ args: rest, options: RECORD_ARG_OPTIONS, strict: true, allowNegative: true });
      const { runRecord } = await import('./record-command.ts');
      const { summary, result } = await runRecord(values);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return result.status === 'finished' ? 0 : 1;
    }
    case 'worker':
      parseArgs({ args: rest, options: {}, strict: true });
      return (await import('./worker-command.ts')).runWorker();
    case 'serve':
      parseArgs({ args: rest, options: {}, strict: true });
      return (await import('./serve-command.ts')).runServe();
    case 'api':
      parseArgs({ args: rest, options: {}, strict: true });
      return (await import('./serve-command.ts')).runApi();
    case 'enqueue': {
      const { values } = parseArgs({
        args: rest,
        options: {
          url: { type: 'string' },
          'max-duration': { type: 'string' },
          resolution: { type: 'string' },
          'session-id': { type: 'string' },
        },
        strict: true,
      });
      return (await import('./worker-command.ts')).runEnqueue(values);
    }
    case 'demo-meeting': {
      const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, content: { type: 'string' } }, strict: true });
      const { runDemoMeeting } = await import('./demo-meeting-command.ts');
      return runDemoMeeting({ port: values.port === undefined ? 0 : Number(values.port), content: values.content ?? 'flat' });
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { seconds: { type: 'string' } }, strict: true });
      return (await import('./demo-command.ts')).runDemo({ seconds: values.seconds === undefined ? 20 : Number(values.seconds) });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof ScribaError && err.code === 'invalid_request';
    const isArgError = err instanceof TypeError && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`scriba: ${scrubText(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = usage || isArgError ? 2 : 1;
    // A command that failed to start must end, even if a library left a timer or socket open: a supervisor
    // restarts a process that exits, not one that lingers doing nothing.
    setTimeout(() => process.exit(), 1000).unref();
  },
);
