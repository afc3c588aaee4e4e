/**
 * MeetingPage's Node-side logic (races, death, timeouts, error mapping) against a fake puppeteer Page.
 * The in-page scripts themselves run in real Chromium in test/integration/browser-launch.test.ts.
 */
import { EventEmitter } from 'node:events';
import type { Page } from 'puppeteer-core';
import { describe, expect, it, vi } from 'vitest';
import { MeetingPage } from '../../../src/browser/meeting-page.ts';
import { ScribaError } from '../../../src/domain/errors.ts';

type Evaluate = (script: string) => Promise<unknown>;
type Goto = (url: string, opts: { timeout?: number; signal?: AbortSignal }) => Promise<{ status(): number } | null>;

class FakeBrowser extends EventEmitter {
  connected = true;
  disconnect(): void {
    this.connected = false;
    this.emit('disconnected');
  }
}

class FakePage extends EventEmitter {
  readonly fakeBrowser = new FakeBrowser();
  closed = false;
  scripts: string[] = [];
  evaluateImpl: Evaluate = async () => null;
  gotoImpl: Goto = async () => ({ status: () => 200 });
  browser(): FakeBrowser {
    return this.fakeBrowser;
  }
  isClosed(): boolean {
    return this.closed;
  }
  evaluate(script: string): Promise<unknown> {
    this.scripts.push(script);
    return this.evaluateImpl(script);
  }
  goto(url: string, opts: { timeout?: number; signal?: AbortSignal }): ReturnType<Goto> {
    return this.gotoImpl(url, opts);
  }
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

const never = (): Promise<never> => new Promise<never>(() => undefined);
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

async function setup(): Promise<{ fake: FakePage; page: MeetingPage }> {
  const fake = new FakePage();
  const page = await MeetingPage.create(fake as unknown as Page);
  return { fake, page };
}

async function rejection(p: Promise<unknown>): Promise<ScribaError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScribaError);
    return err as ScribaError;
  }
  throw new Error('expected a rejection');
}

const isSnapshot = (s: string): boolean => s.includes('participantCount');
const isJoinProbe = (s: string): boolean => s.includes('isJoined') && !isSnapshot(s);

describe('MeetingPage.snapshot', () => {
  it('parses what the page returns', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => ({
      joined: true,
      participantCount: 2,
      downloadKbps: 10,
      iceConnected: true,
      allMuted: false,
      e2ee: false,
    });
    expect(await page.snapshot()).toEqual({
      joined: true,
      participantCount: 2,
      downloadKbps: 10,
      iceConnected: true,
      allMuted: false,
      e2ee: false,
      pageResponsive: true,
    });
    expect(fake.scripts).toHaveLength(1); // one evaluation for all probes
  });

  it('reports an unresponsive page when the evaluation times out', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = never;
    const started = performance.now();
    const snap = await page.snapshot({ timeoutMs: 50 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(snap.pageResponsive).toBe(false);
    expect(snap.participantCount).toBeNull();
  });

  it('a failed evaluation (e.g. navigation) is unknown but responsive', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => {
      throw new Error('Execution context was destroyed, most likely because of a navigation.');
    };
    const snap = await page.snapshot();
    expect(snap).toMatchObject({ pageResponsive: true, joined: null, participantCount: null });
    expect(page.isDead).toBe(false);
  });

  it('rejects with browser_crashed when the target is gone', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => {
      throw named('TargetCloseError', 'Protocol error (Runtime.evaluate): Target closed');
    };
    const err = await rejection(page.snapshot());
    expect(err.code).toBe('browser_crashed');
    expect(err.retryable).toBe(true);
    expect(page.isDead).toBe(true);
    expect(await page.whenDead()).toBe(err);
  });

  it('rejects promptly when the tab closes during the evaluation', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = never;
    setTimeout(() => fake.close(), 20);
    const started = performance.now();
    const err = await rejection(page.snapshot({ timeoutMs: 60_000 }));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('browser_crashed');
  });
});

describe('MeetingPage.waitForJoin', () => {
  it('resolves once isJoined() is true, then starts the participant tracker', async () => {
    const { fake, page } = await setup();
    let polls = 0;
    fake.evaluateImpl = async (s) => (isJoinProbe(s) ? { joined: ++polls >= 3, error: null } : []);
    await page.waitForJoin({ timeoutMs: 30_000, pollMs: 10 });
    expect(polls).toBe(3);
    expect(fake.scripts.at(-1)).toContain('__scribaParticipants');
  });

  it('times out with join_timeout (retryable) and says why', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => ({ joined: null, error: 'APP is not defined' });
    const started = performance.now();
    const err = await rejection(page.waitForJoin({ timeoutMs: 200, pollMs: 20 }));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('join_timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('APP is not defined');
  });

  it('times out even when the page never answers', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = never;
    const err = await rejection(page.waitForJoin({ timeoutMs: 150 }));
    expect(err.code).toBe('join_timeout');
  });

  it('rejects promptly when the browser disconnects, even between polls', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => ({ joined: false, error: null });
    setTimeout(() => fake.fakeBrowser.disconnect(), 30);
    const started = performance.now();
    const err = await rejection(page.waitForJoin({ timeoutMs: 60_000, pollMs: 30_000 }));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('browser_crashed');
  });

  it('rejects with aborted on the signal', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => ({ joined: false, error: null });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const err = await rejection(page.waitForJoin({ timeoutMs: 10_000, pollMs: 5000, signal: ac.signal }));
    expect(err.code).toBe('aborted');
  });

  it('rejects at once on a page that is already dead', async () => {
    const { fake, page } = await setup();
    fake.close();
    const err = await rejection(page.waitForJoin({ timeoutMs: 10_000 }));
    expect(err.code).toBe('browser_crashed');
    expect(fake.scripts).toHaveLength(0);
  });
});

describe('MeetingPage.open', () => {
  it('loads http(s) pages', async () => {
    const { fake, page } = await setup();
    const goto = vi.fn(async () => ({ status: () => 200 }));
    fake.gotoImpl = goto;
    await page.open('https://meet.example.com/room#config.iAmRecorder=true', { timeoutMs: 1234 });
    expect(goto).toHaveBeenCalledWith('https://meet.example.com/room#config.iAmRecorder=true', { waitUntil: 'load', timeout: 1234 });
  });

  it.each(['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'nonsense'])('refuses %s', async (url) => {
    const { page } = await setup();
    expect((await rejection(page.open(url))).code).toBe('invalid_request');
  });

  it('maps a navigation timeout to page_load_failed (retryable)', async () => {
    const { fake, page } = await setup();
    fake.gotoImpl = async () => {
      throw named('TimeoutError', 'Navigation timeout of 50 ms exceeded');
    };
    const err = await rejection(page.open('https://meet.example.com/room', { timeoutMs: 50 }));
    expect(err.code).toBe('page_load_failed');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('not loaded after 50 ms');
  });

  it('maps HTTP errors: 5xx retryable, 4xx not', async () => {
    const { fake, page } = await setup();
    fake.gotoImpl = async () => ({ status: () => 503 });
    expect(await rejection(page.open('https://meet.example.com/room'))).toMatchObject({ code: 'page_load_failed', retryable: true });
    fake.gotoImpl = async () => ({ status: () => 404 });
    expect(await rejection(page.open('https://meet.example.com/room'))).toMatchObject({ code: 'page_load_failed', retryable: false });
  });

  it('rejects with browser_crashed when the tab dies while loading', async () => {
    const { fake, page } = await setup();
    fake.gotoImpl = never;
    setTimeout(() => fake.emit('error', new Error('Page crashed!')), 20);
    expect((await rejection(page.open('https://meet.example.com/room'))).code).toBe('browser_crashed');
  });
});

describe('MeetingPage participants, presence, leave', () => {
  it('participants: parsed list, null when unknown or dead', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => [{ id: 'e1', name: 'Ann', hiddenFromRecorder: false }];
    expect(await page.participants()).toEqual([{ id: 'e1', name: 'Ann', hiddenFromRecorder: false }]);
    fake.evaluateImpl = async () => null;
    expect(await page.participants()).toBeNull();
    fake.evaluateImpl = never;
    expect(await page.participants({ timeoutMs: 20 })).toBeNull();
    fake.close();
    expect(await page.participants()).toBeNull();
  });

  it('setPresence: passes the tags as JSON data and reports success', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => true;
    expect(await page.setPresence({ session_id: "abc'); alert(1); ('", mode: 'FILE' })).toBe(true);
    expect(fake.scripts[0]).toContain(JSON.stringify({ session_id: "abc'); alert(1); ('", mode: 'FILE' }));
    fake.evaluateImpl = async () => false;
    expect(await page.setPresence({ mode: 'FILE' })).toBe(false);
  });

  it('setPresence: refuses keys that are not XML names without touching the page', async () => {
    const { fake, page } = await setup();
    expect(await page.setPresence({ 'bad key': 'x' })).toBe(false);
    expect(await page.setPresence({ '<x>': 'x' })).toBe(false);
    expect(fake.scripts).toHaveLength(0);
  });

  it('leave never rejects', async () => {
    const { fake, page } = await setup();
    fake.evaluateImpl = async () => true;
    expect(await page.leave()).toBe(true);
    fake.evaluateImpl = never;
    expect(await page.leave({ timeoutMs: 20 })).toBe(false);
    fake.evaluateImpl = async () => {
      throw named('TargetCloseError', 'Target closed');
    };
    expect(await page.leave()).toBe(false);
    expect(await page.leave()).toBe(false);
    expect(await page.setPresence({ mode: 'FILE' })).toBe(false);
  });
});

describe('MeetingPage dialogs', () => {
  it('accepts beforeunload and dismisses everything else', async () => {
    const { fake } = await setup();
    const dialog = (type: string) => ({ type: () => type, accept: vi.fn(async () => undefined), dismiss: vi.fn(async () => undefined) });
    const unload = dialog('beforeunload');
    const alert = dialog('alert');
    fake.emit('dialog', unload);
    fake.emit('dialog', alert);
    expect(unload.accept).toHaveBeenCalled();
    expect(alert.dismiss).toHaveBeenCalled();
    expect(alert.accept).not.toHaveBeenCalled();
  });

  it('stops listening once dead', async () => {
    const { fake } = await setup();
    fake.close();
    expect(fake.listenerCount('dialog')).toBe(0);
    expect(fake.fakeBrowser.listenerCount('disconnected')).toBe(0);
  });
});
