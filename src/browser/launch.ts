/**
 * Starts Debian's Chromium through puppeteer-core, and stops it for sure.
 *
 * - `headless: false` always: we pass `--headless=new` ourselves when wanted, because puppeteer's own headless
 *   mode adds `--mute-audio` and the meeting's audio must play. `ignoreDefaultArgs: true`: buildChromiumArgs is
 *   the whole command line (no `--enable-automation` infobar, no `--mute-audio`).
 * - DevTools over a pipe (`--remote-debugging-pipe`), not a TCP port other local processes could reach.
 * - puppeteer's SIGINT/SIGTERM/SIGHUP handlers are off: the worker decides how to shut down (puppeteer's SIGINT
 *   handler would kill the browser and exit the whole process). Its process-exit hook still kills Chromium if
 *   Node exits.
 * - The launch `signal` only aborts the launch; aborting it later does not touch the browser (a session's stop
 *   signal must let the page leave the meeting first). Call close() for that.
 */
import type { Browser, Page } from 'puppeteer-core';
import { readdir, readFile } from 'node:fs/promises';
import { ScribaError } from '../domain/errors.ts';
import { abortError, onAbort, raceSignal, settlesWithin, sleep, withDeadline } from '../lib/abort.ts';
import { childExited } from '../process/spawn-child.ts';
import { buildChromiumArgs, buildChromiumEnv } from './chromium-args.ts';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;
/** How long browser.close() may take before the process group is killed. */
const GRACEFUL_CLOSE_MS = 5_000;
/** How long to wait for the process to be gone after SIGKILL. */
const KILL_WAIT_MS = 5_000;
/** How long to wait for renderer/zygote processes to be gone after the group SIGKILL. */
const GROUP_WAIT_MS = 3_000;
/** CDP calls fail after this instead of puppeteer's 180 s; every page call we make has its own shorter race. */
const PROTOCOL_TIMEOUT_MS = 60_000;

export interface LaunchBrowserOptions {
  /** Default '/usr/bin/chromium'. */
  executablePath?: string;
  /** Absolute, private to this browser; created and removed by the caller. */
  userDataDir: string;
  width: number;
  height: number;
  headless: boolean;
  kiosk: boolean;
  /**
   * Overrides for Chromium's environment (DISPLAY, PULSE_SERVER, HOME, XDG_*); an undefined value removes a
   * variable. Only an allow-list of our own environment is inherited (see buildChromiumEnv).
   */
  env?: NodeJS.ProcessEnv;
  /** Aborts the launch only (see the file comment). */
  signal?: AbortSignal;
  /** Until the DevTools connection is up and the first tab exists; default 30 s. */
  timeoutMs?: number;
  extraArgs?: readonly string[];
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  readonly pid: number | undefined;
  /** The tab Chromium opened at start (about:blank); use it rather than newPage() (kiosk shows one tab). */
  firstPage(): Promise<Page>;
  /**
   * browser.close() with a timeout, then SIGKILL of the browser's process group; resolves once the browser
   * process is gone. Idempotent (the same promise every time); never rejects.
   */
  close(): Promise<void>;
}

/** What an abort error names: "the browser launch was aborted". */
const LAUNCH = 'the browser launch';

export async function launchBrowser(opts: LaunchBrowserOptions): Promise<LaunchedBrowser> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal, LAUNCH);
  let args: string[];
  try {
    args = [
      ...buildChromiumArgs({
        userDataDir: opts.userDataDir,
        width: opts.width,
        height: opts.height,
        headless: opts.headless,
        kiosk: opts.kiosk,
        ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
      }),
      'about:blank',
    ];
  } catch (err) {
    throw new ScribaError('internal', `bad browser options: ${err instanceof Error ? err.message : String(err)}`, {
      scope: 'system',
      cause: err,
    });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS;
  // Forward only aborts that happen during the launch: puppeteer kills the browser whenever its signal aborts.
  const launchAbort = new AbortController();
  const stopForwarding = onAbort(signal, () => launchAbort.abort(signal?.reason));
  let browser: Browser;
  try {
    // Loaded on first use: puppeteer-core is the largest module a session needs (~0.2 s to import), and a
    // command reaches this point only once it is really launching a browser.
    const { default: puppeteer } = await import('puppeteer-core');
    browser = await puppeteer.launch({
      executablePath: opts.executablePath ?? DEFAULT_CHROMIUM_PATH,
      headless: false,
      ignoreDefaultArgs: true,
      args,
      defaultViewport: null,
      env: buildChromiumEnv(process.env, opts.env ?? {}),
      pipe: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      dumpio: false,
      timeout: timeoutMs,
      protocolTimeout: PROTOCOL_TIMEOUT_MS,
      // We wait for the first tab ourselves: puppeteer leaves the browser running if that wait times out.
      waitForInitialPage: false,
      signal: launchAbort.signal,
    });
  } catch (err) {
    if (signal?.aborted) throw abortError(signal, LAUNCH);
    throw new ScribaError('browser_crashed', `Chromium failed to start: ${launchFailureText(err)}`, {
      scope: 'system',
      retryable: true,
      cause: err,
    });
  } finally {
    stopForwarding();
  }

  const launched = wrapBrowser(browser);
  try {
    if (signal?.aborted) throw abortError(signal, LAUNCH);
    await withDeadline(
      raceSignal(launched.firstPage(), signal, (s) => abortError(s, LAUNCH)),
      timeoutMs,
    );
    return launched;
  } catch (err) {
    await launched.close();
    if (signal?.aborted) throw abortError(signal, LAUNCH);
    throw new ScribaError('browser_crashed', `Chromium started but opened no tab: ${err instanceof Error ? err.message : String(err)}`, {
      scope: 'system',
      retryable: true,
      cause: err,
    });
  }
}

/** puppeteer's launch error on one line, with Chromium's stderr tail but without the troubleshooting link. */
function launchFailureText(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err))
    .replace(/TROUBLESHOOTING:\s*\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function wrapBrowser(browser: Browser): LaunchedBrowser {
  const proc = browser.process();
  const pid = proc?.pid;
  const exited: Promise<unknown> = proc ? childExited(proc) : Promise.resolve();
  let closing: Promise<void> | undefined;

  async function firstPage(): Promise<Page> {
    const existing = (await browser.pages())[0];
    if (existing) return existing;
    const target = await browser.waitForTarget((t) => t.type() === 'page', { timeout: 10_000 });
    const page = await target.page();
    return page ?? (await browser.newPage());
  }

  async function doClose(): Promise<void> {
    // A close that hangs falls through to the kill.
    await settlesWithin(
      browser.close().catch(() => undefined),
      GRACEFUL_CLOSE_MS,
    );
    if (!(await settlesWithin(exited, 500))) {
      // Not reaped yet, so the pid is still ours: the group, or at least the process itself.
      killGroup(pid, true);
      await settlesWithin(exited, KILL_WAIT_MS);
    }
    // Renderer and zygote processes share the group; make sure none outlives the browser process. While any
    // member lives, the kernel does not hand the group id out again, so this cannot hit a stranger.
    killGroup(pid, false);
    if (pid !== undefined) await waitGroupGone(pid, GROUP_WAIT_MS);
  }

  return {
    browser,
    pid,
    firstPage,
    close(): Promise<void> {
      closing ??= doClose().catch(() => undefined);
      return closing;
    },
  };
}

/**
 * SIGKILL to the process group (puppeteer starts Chromium detached, as a group leader); with `pidFallback`,
 * to the pid itself when the group is gone (only while the process is unreaped, so the pid cannot be reused).
 */
function killGroup(pid: number | undefined, pidFallback: boolean): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    if (!pidFallback) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls until no live (non-zombie) process is left in the group, or the time is up. */
async function waitGroupGone(pgid: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while ((await groupHasLiveMembers(pgid)) && performance.now() < deadline) {
    await sleep(25);
  }
}

async function groupHasLiveMembers(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Something is in the group, perhaps only zombies waiting for a reaper (a container's PID 1 may never
  // reap them): only live members count. /proc/<pid>/stat: "pid (comm) state ppid pgrp ...".
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}
