/** A private virtual X display per session: Xvfb picks a free display number itself (-displayfd). */
import { ScribaError } from '../domain/errors.ts';
import { spawnHelper, type HelperProcess } from './helper-process.ts';

export interface XvfbDisplay {
  /** e.g. ':12' */
  readonly display: string;
  readonly process: HelperProcess;
}

/** Pure: the Xvfb command line. No TCP and no filesystem socket: clients use the abstract socket only. */
export function buildXvfbArgs(width: number, height: number, displayFd: number): string[] {
  return [
    '-displayfd',
    String(displayFd), // Xvfb chooses a free display and writes its number here: no races
    '-screen',
    '0',
    `${width}x${height}x24`,
    '-nolisten',
    'tcp',
    '-nolisten',
    'unix',
    '-nocursor',
    // No GLX: Chromium runs with --disable-gpu and never asks for it, and without it Xvfb does not load Mesa's
    // software renderer and LLVM (~45 MB PSS measured per display).
    '-extension',
    'GLX',
    '-noreset', // keep the server when the last client (Chromium) disconnects; we stop it ourselves
  ];
}

export async function startXvfb(opts: {
  width: number;
  height: number;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  timeoutMs?: number;
}): Promise<XvfbDisplay> {
  const proc = spawnHelper('Xvfb', 'Xvfb', buildXvfbArgs(opts.width, opts.height, 3), { env: opts.env, extraPipes: 1 });
  const pipe = proc.extraPipes[0];
  try {
    const display = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () =>
          reject(
            new ScribaError(
              'helper_failed',
              `Xvfb did not report a display within ${opts.timeoutMs ?? 10_000} ms: ${proc.recentOutput().trim()}`,
              { scope: 'system', retryable: true },
            ),
          ),
        opts.timeoutMs ?? 10_000,
      );
      // A raw listener, not lib/abort's onAbort: that would reject at once for an already-aborted signal.
      const onAbort = () => reject(opts.signal.reason ?? new Error('aborted'));
      opts.signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
      };
      pipe?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const m = /^(\d+)\n/.exec(text);
        if (m) {
          done();
          resolve(`:${m[1]}`);
        }
      });
      void proc.exited.then((exit) => {
        done();
        reject(
          new ScribaError('helper_failed', `Xvfb exited (${exit.code ?? exit.signal}) before it was ready: ${proc.recentOutput().trim()}`, {
            scope: 'system',
            retryable: true,
          }),
        );
      });
    });
    return { display, process: proc };
  } catch (err) {
    await proc.stop(1000);
    throw err;
  } finally {
    pipe?.destroy();
  }
}
