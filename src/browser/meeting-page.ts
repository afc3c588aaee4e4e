/**
 * The meeting page object: the only place with in-page JavaScript (jitsi-interop.md §1).
 *
 * Rules every method follows:
 * - In-page scripts are plain JavaScript strings (not serialized TypeScript functions, which a transpiler may
 *   rewrite), each probe inside its own try/catch so a probe that throws is "unknown" (null), never a crash.
 * - Every evaluation races a timeout, the page's death (tab closed, renderer crashed, browser disconnected)
 *   and, where given, an AbortSignal. A late evaluation result is ignored, a late rejection swallowed.
 * - Page death: open/waitForJoin/snapshot reject with ScribaError('browser_crashed', retryable); participants
 *   resolves null; setPresence and leave resolve false. Nothing here ever leaves an unhandled rejection.
 */
import type { Browser, Dialog, Page } from 'puppeteer-core';
import { ScribaError } from '../domain/errors.ts';
import { parseParticipants, parseProbeSnapshot, unknownSnapshot, type MeetingParticipant, type ProbeSnapshot } from './probe-snapshot.ts';

export const DEFAULT_PAGE_LOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;
export const DEFAULT_JOIN_POLL_MS = 500;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10_000;
export const DEFAULT_LEAVE_TIMEOUT_MS = 5_000;
const SINGLE_PROBE_TIMEOUT_MS = 5_000;
const PRESENCE_TIMEOUT_MS = 5_000;
const PARTICIPANTS_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------
// In-page scripts. Each is one JavaScript expression evaluated in the meeting page's main world.
// ---------------------------------------------------------------------------------------------------------

/** `{ joined: boolean | null, error: string | null }`: error says why a poll was not a yes (for diagnostics). */
const JOINED_SCRIPT = `(() => {
  try {
    const joined = APP.conference._room.isJoined();
    return { joined: typeof joined === 'boolean' ? joined : null, error: null };
  } catch (e) {
    return { joined: null, error: String(e && e.message || e).slice(0, 200) };
  }
})()`;

/** All probes of one status-check round (jitsi-interop.md §1), each one null when it throws. */
const SNAPSHOT_SCRIPT = `(() => {
  const probe = (f) => { try { const v = f(); return v === undefined ? null : v; } catch (e) { return null; } };
  const visible = () => APP.conference._room.getParticipants()
    .filter((p) => !(p.isHidden() || p.isHiddenFromRecorder()));
  const isBot = (p) => { try { return p.getProperty('features_jigasi') === true; } catch (e) { return false; } };
  return {
    joined: probe(() => APP.conference._room.isJoined()),
    participantCount: probe(() => visible().length + 1),
    downloadKbps: probe(() => APP.conference.getStats().bitrate.download),
    iceConnected: probe(() => APP.conference.getConnectionState() === 'connected'),
    allMuted: probe(() => visible().every((p) => (p.isAudioMuted() && p.isVideoMuted()) || isBot(p))),
    e2ee: probe(() => {
      const room = APP.conference._room;
      if (!room) throw new Error('no conference');
      return typeof room.isE2EEEnabled === 'function' ? room.isE2EEEnabled() === true : false;
    }),
  };
})()`;

/**
 * Everyone seen since the first call (kept in window.__scribaParticipants, fed by the current member list and
 * by muc_member_joined / display_name_changed listeners so short visits between polls are not lost).
 * Hidden members (hidden domain: recorders, transcribers) are skipped; hidden-from-recorder ones are flagged.
 * Returns null when there is no conference.
 */
const PARTICIPANTS_SCRIPT = `(() => {
  try {
    const conference = APP.conference._room;
    if (!conference) return null;
    const chat = conference.room || null;
    const resourceOf = (jid) => String(jid).split('/').pop();
    const userOf = (identity) => (identity && typeof identity === 'object' && identity.user && typeof identity.user === 'object') ? identity.user : null;
    let seen = window.__scribaParticipants;
    const remember = (id, name, hiddenFromRecorder) => {
      if (!id) return;
      const prev = seen.get(id);
      seen.set(id, {
        id: String(id),
        name: (typeof name === 'string' && name !== '') ? name : (prev ? prev.name : null),
        hiddenFromRecorder: Boolean(hiddenFromRecorder) || Boolean(prev && prev.hiddenFromRecorder),
      });
    };
    if (!(seen instanceof Map)) {
      seen = new Map();
      window.__scribaParticipants = seen;
      try {
        chat.addListener('xmpp.muc_member_joined', (from, nick, role, hidden, statsId, status, identity) => {
          try {
            if (hidden) return;
            const user = userOf(identity);
            remember(resourceOf(from), nick || (user && user.name), Boolean(user && user['hidden-from-recorder']));
          } catch (e) {}
        });
        chat.addListener('xmpp.display_name_changed', (jid, displayName) => {
          try {
            const id = resourceOf(jid);
            const prev = seen.get(id);
            if (prev && typeof displayName === 'string' && displayName !== '') seen.set(id, { ...prev, name: displayName });
          } catch (e) {}
        });
      } catch (e) {}
    }
    const members = (chat && chat.members && typeof chat.members === 'object') ? chat.members : {};
    for (const jid of Object.keys(members)) {
      try {
        const m = members[jid];
        if (!m || m.isHiddenDomain) continue;
        const user = userOf(m.identity);
        remember(resourceOf(jid), m.nick || (user && user.name), Boolean(user && user['hidden-from-recorder']));
      } catch (e) {}
    }
    for (const p of conference.getParticipants()) {
      try {
        if (p.isHidden()) continue;
        let identityName = null;
        try {
          const m = members[p.getJid()];
          const user = userOf(m && m.identity);
          identityName = user && user.name;
        } catch (e) {}
        let hiddenFromRecorder = false;
        try { hiddenFromRecorder = p.isHiddenFromRecorder() === true; } catch (e) {}
        remember(p.getId(), p.getDisplayName() || identityName, hiddenFromRecorder);
      } catch (e) {}
    }
    return Array.from(seen.values());
  } catch (e) {
    return null;
  }
})()`;

function presenceScript(tags: Record<string, string>): string {
  // JSON is valid JavaScript: the tags arrive as data, never as code.
  return `(() => {
  try {
    const chat = APP.conference._room.room;
    const tags = ${JSON.stringify(tags)};
    for (const key of Object.keys(tags)) chat.addOrReplaceInPresence(key, { value: tags[key] });
    chat.sendPresence();
    return true;
  } catch (e) {
    return false;
  }
})()`;
}

/** Posts a group chat message as the recorder (lib-jitsi-meet JitsiConference.sendTextMessage). */
function announceScript(text: string): string {
  return `(() => {
  try {
    APP.conference._room.sendTextMessage(${JSON.stringify(text)});
    return true;
  } catch (e) {
    return false;
  }
})()`;
}

const LEAVE_SCRIPT = `(async () => {
  try {
    await APP.conference._room.leave();
    return true;
  } catch (e) {
    return false;
  }
})()`;

// ---------------------------------------------------------------------------------------------------------

/** XML element names Meet can put in presence; anything else would break the stanza. */
const PRESENCE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

type RunResult =
  | { kind: 'ok'; value: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'dead'; error: ScribaError }
  | { kind: 'aborted' };

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

function abortError(signal: AbortSignal): ScribaError {
  return new ScribaError('aborted', 'the operation was aborted', { cause: signal.reason });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

/** Errors that mean the tab or the DevTools connection is gone (not merely a navigation). */
function isDeathError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TargetCloseError' || err.name === 'ConnectionClosedError') return true;
  return /Target closed|Session closed|Connection closed|has been closed|browser has disconnected|Page crashed|Target crashed/i.test(
    err.message,
  );
}

export class MeetingPage {
  readonly #page: Page;
  readonly #browser: Browser;
  readonly #death: Promise<ScribaError>;
  #resolveDeath: (error: ScribaError) => void = () => undefined;
  #deathError: ScribaError | null = null;
  /** Waiters of in-flight races; removed when each race ends, so hours of polling accumulate nothing. */
  readonly #deathWaiters = new Set<(error: ScribaError) => void>();
  readonly #cleanups: Array<() => void> = [];

  private constructor(page: Page) {
    this.#page = page;
    this.#browser = page.browser();
    this.#death = new Promise<ScribaError>((resolve) => {
      this.#resolveDeath = resolve;
    });
  }

  /** A promise settled with `map(error)` when the page dies, and its cancel (call it when the race is over). */
  #deathRace<T>(map: (error: ScribaError) => T): { promise: Promise<T>; cancel: () => void } {
    let waiter: ((error: ScribaError) => void) | undefined;
    const promise = new Promise<T>((resolve) => {
      const dead = this.#deathError;
      if (dead) {
        resolve(map(dead));
        return;
      }
      waiter = (error) => resolve(map(error));
      this.#deathWaiters.add(waiter);
    });
    return {
      promise,
      cancel: () => {
        if (waiter) this.#deathWaiters.delete(waiter);
      },
    };
  }

  /** Wraps a tab. Watches for its death and answers dialogs (a dialog would block every probe). */
  static async create(page: Page): Promise<MeetingPage> {
    const mp = new MeetingPage(page);
    mp.#watch();
    return mp;
  }

  /** True once the tab was closed, its renderer crashed or the browser disconnected. */
  get isDead(): boolean {
    return this.#deathError !== null;
  }

  /** Resolves (never rejects) with the reason when the page dies; stays pending while it lives. */
  whenDead(): Promise<ScribaError> {
    return this.#death;
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
    if (this.#deathError) return this.#deathError;
    const error = new ScribaError('browser_crashed', message, { scope: 'session', retryable: true, cause });
    this.#deathError = error;
    for (const cleanup of this.#cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // listener removal cannot matter any more
      }
    }
    this.#resolveDeath(error);
    for (const waiter of [...this.#deathWaiters]) waiter(error);
    this.#deathWaiters.clear();
    return error;
  }

  /** One evaluation raced against its timeout, page death and the signal. */
  async #run(script: string, timeoutMs: number, signal?: AbortSignal): Promise<RunResult> {
    if (this.#deathError) return { kind: 'dead', error: this.#deathError };
    if (signal?.aborted) return { kind: 'aborted' };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const death = this.#deathRace((error): RunResult => ({ kind: 'dead', error }));
    const evaluation = this.#page.evaluate(script).then(
      (value): RunResult => ({ kind: 'ok', value }),
      (error: unknown): RunResult => ({ kind: 'failed', error }),
    );
    const racers: Array<Promise<RunResult>> = [
      evaluation,
      new Promise<RunResult>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, timeoutMs));
      }),
      death.promise,
    ];
    if (signal) {
      racers.push(
        new Promise<RunResult>((resolve) => {
          onAbort = () => resolve({ kind: 'aborted' });
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    }
    try {
      const result = await Promise.race(racers);
      if (result.kind === 'failed' && (isDeathError(result.error) || this.#page.isClosed() || !this.#browser.connected)) {
        return { kind: 'dead', error: this.#markDead(`the meeting page is gone: ${messageOf(result.error)}`, result.error) };
      }
      return result;
    } finally {
      clearTimeout(timer);
      death.cancel();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
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
    if (this.#deathError) throw this.#deathError;
    if (signal?.aborted) throw abortError(signal);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_PAGE_LOAD_TIMEOUT_MS;
    const navigation = this.#page
      .goto(url, { waitUntil: 'load', timeout: timeoutMs, ...(signal ? { signal } : {}) })
      .then(
        (response) => ({ kind: 'ok' as const, response }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      );
    const death = this.#deathRace((error) => ({ kind: 'dead' as const, error }));
    const outcome = await Promise.race([navigation, death.promise]).finally(death.cancel);
    if (outcome.kind === 'dead') throw outcome.error;
    if (outcome.kind === 'failed') {
      if (signal?.aborted) throw abortError(signal);
      if (this.#deathError) throw this.#deathError;
      if (isDeathError(outcome.error) || this.#page.isClosed() || !this.#browser.connected) {
        throw this.#markDead(`the meeting page is gone: ${messageOf(outcome.error)}`, outcome.error);
      }
      const timedOut = outcome.error instanceof Error && outcome.error.name === 'TimeoutError';
      const detail = timedOut ? `not loaded after ${timeoutMs} ms` : messageOf(outcome.error);
      throw new ScribaError('page_load_failed', `the meeting page failed to load: ${detail}`, {
        retryable: true,
        cause: outcome.error,
      });
    }
    const status = outcome.response?.status() ?? 0;
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
      const result = await this.#run(JOINED_SCRIPT, budget, signal);
      switch (result.kind) {
        case 'dead':
          throw result.error;
        case 'aborted':
          throw abortError(signal ?? AbortSignal.abort());
        case 'timeout':
          // A probe cut short by the overall deadline says less than the previous answer.
          if (budget === SINGLE_PROBE_TIMEOUT_MS || !answered) lastProblem = `the page did not answer the join probe within ${Math.round(budget)} ms`;
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

  /** Sleeps, waking early (and throwing) on page death or abort. */
  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const death = this.#deathRace(() => 'dead' as const);
    try {
      const outcome = await Promise.race([
        new Promise<'slept'>((resolve) => {
          timer = setTimeout(() => resolve('slept'), ms);
        }),
        death.promise,
        new Promise<'aborted'>((resolve) => {
          if (!signal) return;
          onAbort = () => resolve('aborted');
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (outcome === 'dead' && this.#deathError) throw this.#deathError;
      if (outcome === 'aborted' && signal) throw abortError(signal);
    } finally {
      clearTimeout(timer);
      death.cancel();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * One probe round in a single evaluation. Null fields: that probe threw. pageResponsive false: the evaluation
   * did not answer within `timeoutMs` (default 10 s). Rejects (browser_crashed) only when the page is dead.
   */
  async snapshot(opts: { timeoutMs?: number } = {}): Promise<ProbeSnapshot> {
    const result = await this.#run(SNAPSHOT_SCRIPT, opts.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS);
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

  /**
   * Non-hidden members seen since joining (including those who left), for metadata.json; members on the
   * hidden domain are left out, hidden-from-recorder ones are flagged. Null when unknown (no conference, page
   * hung or dead).
   */
  async participants(opts: { timeoutMs?: number } = {}): Promise<MeetingParticipant[] | null> {
    const result = await this.#run(PARTICIPANTS_SCRIPT, opts.timeoutMs ?? PARTICIPANTS_TIMEOUT_MS);
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
    const result = await this.#run(presenceScript(Object.fromEntries(entries)), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
    return result.kind === 'ok' && result.value === true;
  }

  /**
   * Tells everyone in the meeting, in its chat, that it is being recorded: needed when the session was not
   * started through Jicofo, whose recording status Meet would otherwise show. Never rejects.
   */
  async announce(text: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(announceScript(text), opts.timeoutMs ?? PRESENCE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }

  /** `APP.conference._room.leave()`, waited for up to `timeoutMs` (default 5 s). Never rejects. */
  async leave(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const result = await this.#run(LEAVE_SCRIPT, opts.timeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS);
      return result.kind === 'ok' && result.value === true;
    } catch {
      return false;
    }
  }
}
