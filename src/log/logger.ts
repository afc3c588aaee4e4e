/** pino factory: JSON lines, secrets scrubbed from fields and messages, one child logger per session. */
import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubText, scrubValue } from './redact.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  readonly destination?: DestinationStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    name: options.name ?? 'scriba',
    level: options.level ?? 'info',
    formatters: {
      // Runs on every merged object (including bindings of child loggers' calls).
      log: (obj: Record<string, unknown>) => scrubValue(obj) as Record<string, unknown>,
      bindings: (b: Record<string, unknown>) => scrubValue(b) as Record<string, unknown>,
    },
    hooks: {
      // Messages and printf arguments are scrubbed too: a URL can hide a JWT anywhere in a sentence.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? scrubText(a) : a)),
        );
      },
    },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** The per-session child: every line carries the session id and room. */
export function sessionLogger(parent: Logger, sessionId: string, room: string): Logger {
  return parent.child({ sessionId, room });
}
