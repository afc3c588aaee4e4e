/**
 * The meeting page object: the only code that talks to the meeting tab. The JavaScript it runs there lives in
 * src/browser/page-scripts/ (docs/jitsi-recorder.md, "Probes", says what each probe asks).
 *
 * Rules every method follows:
 * - In-page scripts are plain JavaScript files (not serialized TypeScript functions, which a transpiler may
 *   rewrite), each probe inside its own try/catch so a probe that throws is "unknown" (null), never a crash.
 * - Every call into the page races a timeout, the page's death (tab closed, renderer crashed, browser
 *   disconnected) and, where given, an AbortSignal (pageCall).
 * - Page death: open/waitForJoin/snapshot reject with ScribaError('browser_crashed', retryable); participants
 *   resolves null; setPresence and leave resolve false. Nothing here ever leaves an unhandled rejection.
 */
import { navigationErrorDetail } from './navigation-error.ts';
import type { Browser, Dialog, Page } from 'puppeteer-core';
import { ScribaError } from '../domain/errors.ts';
import { abortError } from '../lib/abort.ts';
import { parseParticipants, parseProbeSnapshot, unknownSnapshot, type MeetingParticipant, type ProbeSnapshot } from './probe-snapshot.ts';
import { PageAudioTap, type AudioTapStartOptions, type AudioTapStartResult } from './page-audio-tap.ts';
import { messageOf, pageCall, type PageCallResult } from './page-call.ts';
import { isDeathError, PageDeath } from './page-death.ts';
import { callExpression, pageScript } from './page-script.ts';

export const DEFAULT_PAGE_LOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;
export const DEFAULT_JOIN_POLL_MS = 500;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10_000;
export const DEFAULT_LEAVE_TIMEOUT_MS = 5_000;
const SINGLE_PROBE_TIMEOUT_MS = 5_000;
const PRESENCE_TIMEOUT_MS = 5_000;
const PARTICIPANTS_TIMEOUT_MS = 5_000;

// The in-page scripts without arguments, as the expressions that run them; the others take theirs per call.
const JOINED = callExpression(pageScript('joined.js'));
const SNAPSHOT = callExpression(pageScript('snapshot.js'));
const PARTICIPANT_COUNT = callExpression(pageScript('participant-count.js'));
const PARTICIPANTS = callExpression(pageScript('participants.js'));
const LEAVE = callExpression(pageScript('leave.js'));
const PRESENCE_SOURCE = pageScript('presence.js');
const ANNOUNCE_SOURCE = pageScript('announce.js');
const JSON_MESSAGE_SOURCE = pageScript('json-message.js');

/** XML element names Meet can put in presence; anything else would break the stanza. */
const PRESENCE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export interface OpenOptions {
  signal?: AbortSignal;
  /** Until the page's load event; default 60 s (Jibri's page load timeout). */
  timeoutMs?: number;
}

export interface WaitForJoinOptions {
  signal?: AbortSignal;
  /** Default 30 s (Jibri). */
  timeoutMs?: number;
  /** Default 500 ms. */
  pollMs?: number;
}

export class MeetingPage {
  readonly #page: Page;
  readonly #browser: Browser;
  readonly #death = new PageDeath();
  readonly #cleanups: Array<() => void> = [];
  readonly #audioTap: PageAudioTap;

  private constructor(page: Page) {
    this.#page = page;
    this.#browser = page.browser();
    this.#audioTap = new PageAudioTap({
      page,
      death: this.#death,
      run: (expression, timeoutMs) => this.#run(expression, timeoutMs),
    });
  }

  /** Wraps a tab. Watches for its death and answers dialogs (a dialog would block every probe). */
  static async create(page: Page): Promise<MeetingPage> {
    const mp = new MeetingPage(page);
    mp.#watch();
    return mp;
  }

  /** True once the tab was closed, its renderer crashed or the browser disconnected. */
  get isDead(): boolean {
    return this.#death.error !== null;
  }

  /** Resolves (never rejects) with the reason when the page dies; stays pending while it lives. */
  whenDead(): Promise<ScribaError> {
    return this.#death.promise;
  }

  #watch(): void {
    const page = this.#page;
    const onClose = (): void => void this.#markDead('the meeting tab was closed');
    const onCrash = (err: unknown): void => void this.#markDead(`the meeting tab crashed: ${messageOf(err)}`, err);
    const onDisconnect = (): void => void this.#markDead('the browser disconnected');
    const onDialog = (dialog: Dialog): void => {
      // beforeunload must be accepted or leaving/closing blocks; alerts and prompts are dismissed.
      const answer = dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss();
      answer.catch(() => undefined);
    };
    page.on('close', onClose);
    page.on('error', onCrash);
    page.on('dialog', onDialog);
    this.#browser.on('disconnected', onDisconnect);
    this.#cleanups.push(
      () => page.off('close', onClose),
      () => page.off('error', onCrash),
      () => page.off('dialog', onDialog),
      () => this.#browser.off('disconnected', onDisconnect),
    );
    if (page.isClosed()) onClose();
    else if (!this.#browser.connected) onDisconnect();
  }

  #markDead(message: string, cause?: unknown): ScribaError {
    if (this.#death.error) return this.#death.error;
    const error = this.#death.mark(new ScribaError('browser_crashed', message, { scope: 'session', retryable: true, cause }));
    for (const cleanup of this.#cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // listener removal cannot matter any more
      }
    }
    return error;
  }

  /** Whether a failed call means the page is gone (rather than, say, a navigation replacing its context). */
  #gone(error: unknown): boolean {
    return isDeathError(error) || this.#page.isClosed() || !this.#browser.connected;
  }

  /** One evaluation raced against its timeout, page death and the signal. */
  async #run(expression: string, timeoutMs: number, signal?: AbortSignal): Promise<PageCallResult<unknown>> {
    const result = await pageCall(() => this.#page.evaluate(expression), { death: this.#death, timeoutMs, signal });
    if (result.kind === 'failed' && this.#gone(result.error)) {
      return { kind: 'dead', error: this.#markDead(`the meeting page is gone: ${messageOf(result.error)}`, result.error) };
    }
    return result;
  }

  /** Sleeps, waking early (and throwing) on page death or abort. */
  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const result = await pageCall(() => new Promise<never>(() => undefined), { death: this.#death, timeoutMs: ms, signal });
    if (result.kind === 'dead') throw result.error;
    if (result.kind === 'aborted' && signal) throw abortError(signal);
  }

  /**
   * Navigates to the meeting URL and waits for the load event. Only http(s) URLs are opened.
   * Errors: page_load_failed (retryable, except HTTP 4xx), browser_crashed, aborted, invalid_request.
   */
  async open(url: string, opts: OpenOptions = {}): Promise<void> {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new ScribaError('invalid_request', 'the meeting URL is not a valid URL');
    }
    if (protocol !== 'https:' && protocol !== 'http:') {
      throw new ScribaError('invalid_request', `refusing to open a ${protocol} URL in the recorder`);
    }
    const { signal } = opts;
    if (this.#death.error) throw this.#death.error;
    if (signal?.aborted) throw abortError(signal);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_PAGE_LOAD_TIMEOUT_MS;
    // goto has its own timeout and takes the signal itself: only the page's death is raced here.
    const outcome = await pageCall(() => this.#page.goto(url, { waitUntil: 'load', timeout: timeoutMs, ...(signal ? { signal } : {}) }), {
      death: this.#death,
    });
    if (outcome.kind === 'dead') throw outcome.error;
    if (outcome.kind === 'failed') {
      if (signal?.aborted) throw abortError(signal);
      if (this.#death.error) throw this.#death.error;
      if (this.#gone(outcome.error)) {
        throw this.#markDead(`the meeting page is gone: ${navigationErrorDetail(messageOf(outcome.error))}`, outcome.error);
      }
      const timedOut = outcome.error instanceof Error && outcome.error.name === 'TimeoutError';
      const detail = timedOut ? `not loaded after ${timeoutMs} ms` : navigationErrorDetail(messageOf(outcome.error));
      throw new ScribaError('page_load_failed', `the meeting page failed to load: ${detail}`, {
        retryable: true,
        cause: outcome.error,
      });
    }
    const status = (outcome.kind === 'ok' ? outcome.value?.status() : undefined) ?? 0;
    if (status >= 400) {
      throw new ScribaError('page_load_failed', `the meeting page answered HTTP ${status}`, { retryable: status >= 500 || status === 429 });
    }
  }

  /**
   * Polls `APP.conference._room.isJoined()` until true. Rejects with join_timeout (retryable) after
   * `timeoutMs`, browser_crashed as soon as the page dies, aborted on the signal.
   * Once joined, starts the participant tracker (best effort).
   */
  async waitForJoin(opts: WaitForJoinOptions = {}): Promise<void> {
    const { signal } = opts;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
    const pollMs = Math.max(10, opts.pollMs ?? DEFAULT_JOIN_POLL_MS);
    const deadline = performance.now() + timeoutMs;
    let lastProblem = 'no answer from the page yet';
    let answered = false;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const budget = Math.min(remaining, SINGLE_PROBE_TIMEOUT_MS);
      const result = await this.#run(JOINED, budget, signal);
      switch (result.kind) {
        case 'dead':
          throw result.error;
        case 'aborted':
          throw abortError(signal);
        case 'timeout':
          // A probe cut short by the overall deadline says less than the previous answer.
          if (budget === SINGLE_PROBE_TIMEOUT_MS || !answered)
            lastProblem = `the page did not answer the join probe within ${Math.round(budget)} ms`;
          break;
        case 'failed':
          answered = true;
          lastProblem = `the join probe failed: ${messageOf(result.error)}`;
          break;
        case 'ok': {
          answered = true;
          const v = result.value as { joined?: unknown; error?: unknown } | null;
          if (v && v.joined === true) {
            await this.participants().catch(() => null); // start tracking everyone seen from now on
            return;
          }
          lastProblem = v && typeof v.error === 'string' ? `not joined yet (${v.error})` : 'not joined yet';
          break;
        }
      }
      const wait = Math.min(pollMs, deadline - performance.now());
      if (wait > 0) await this.#sleep(wait, signal);
    }
    throw new ScribaError('join_timeout', `the recorder did not join the meeting within ${timeoutMs} ms: ${lastProblem}`, {
      retryable: true,
    });
  }

  /**
   * One probe round in a single evaluation. Null fields: that probe threw. pageResponsive false: the evaluation
   * did not answer within `timeoutMs` (default 10 s). Rejects (browser_crashed) only when the page is dead.
   */
  async snapshot(opts: { timeoutMs?: number } = {}): Promise<ProbeSnapshot> {
    const result = await this.#run(SNAPSHOT, opts.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS);
    switch (result.kind) {
      case 'ok':
        return parseProbeSnapshot(result.value);
      case 'timeout':
        return unknownSnapshot(false);
      case 'dead':
        throw result.error;
      case 'failed': // e.g. the execution context was replaced by a navigation: answered, but nothing known
      case 'aborted':
        return unknownSnapshot(true);
    }
  }

  /** Visible participants plus the recorder; null when unknown (no conference, page hung or dead). Never rejects. */
  async participantCount(opts: { timeoutMs?: number } = {}): Promise<number | null> {
    const result = await this.#run(PARTICIPANT_COUNT, opts.timeoutMs ?? 900);
    return result.kind === 'ok' && typeof result.value === 'number' && Number.isFinite(result.value) ? result.value : null;
  }

  /**
   * Non-hidden members seen since joining (including those who left), for metadata.json; members on the
   * hidden domain are left out, hidden-from-recorder ones are flagged. Null when unknown (no conference, page
   * hung or dead).
   */
  async participants(opts: { timeoutMs?: number } = {}): Promise<MeetingParticipant[] | null> {
    const result = await this.#run(PARTICIPANTS, opts.timeoutMs ?? PARTICIPANTS_TIMEOUT_MS);
    return result.kind === 'ok' ? parseParticipants(result.value) : null;
  }

  /**
   * Adds or replaces each tag in the recorder's own presence, then sends presence once (Jibri: session_id,
   * mode, live-stream-view-url). Resolves whether it worked; false for keys that are not XML names.
   */
  async setPresence(tags: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    const entries = Object.entries(tags);
    if (entries.length === 0) return true;
    if (!entries.every(([k, v]) => PRESENCE_KEY.test(k) && typeof v === 'string')) return false;
    const result = await this.#run(callExpression(PRESENCE_SOURCE, Object.fromEntries(entries)), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
    return result.kind === 'ok' && result.value === true;
  }

  /**
   * Tells everyone in the meeting, in its chat, that it is being recorded: needed when the session was not
   * started through Jicofo, whose recording status Meet would otherwise show. Never rejects.
   */
  async announce(text: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(callExpression(ANNOUNCE_SOURCE, text), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /**
   * Sends a JSON payload as a `<json-message>` to the room (subtitles: docs/jitsi-recorder.md, "Subtitles and
   * transcripts as Jigasi makes them"). Never rejects.
   */
  async sendJsonMessage(payload: unknown, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(callExpression(JSON_MESSAGE_SOURCE, JSON.stringify(payload)), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /** `APP.conference._room.leave()`, waited for up to `timeoutMs` (default 5 s). Never rejects. */
  async leave(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(LEAVE, opts.timeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the audio tap (docs/audio-tap.md): every visible remote participant's audio, as 16 kHz mono Int16
   * chunks, delivered to `onMessage` as the page's raw messages. Never rejects (see PageAudioTap.start).
   */
  startAudioTap(onMessage: (message: unknown) => void, opts: AudioTapStartOptions = {}): Promise<AudioTapStartResult> {
    return this.#audioTap.start(onMessage, opts);
  }

  /** Flushes every participant's last chunk, then removes the tap. Resolves whether a tap was running; never rejects. */
  stopAudioTap(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    return this.#audioTap.stop(opts);
  }
}
