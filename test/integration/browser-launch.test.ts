/**
 * Real Chromium (headless) against fake Jitsi Meet pages served on 127.0.0.1: the in-page probes, the races
 * against page death, and that close() leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/browser/launch.ts';
import { MeetingPage } from '../../src/browser/meeting-page.ts';
import { ScribaError } from '../../src/domain/errors.ts';

// ----------------------------------------------------------------------------------------------------------
// Fake meetings

const PARTICIPANT_HELPERS = `
  const mk = (id, name, o) => ({
    getId: () => id,
    getJid: () => 'room@conference.meet.test/' + id,
    getDisplayName: () => name,
    isHidden: () => Boolean(o.hidden),
    isHiddenFromRecorder: () => Boolean(o.hfr),
    isAudioMuted: () => Boolean(o.audioMuted),
    isVideoMuted: () => Boolean(o.videoMuted),
    getProperty: () => undefined,
  });
`;

/** Joins 1 s after load; two visible participants, a hidden recorder, a hidden-from-recorder member. */
const JOINING_MEETING = `
  ${PARTICIPANT_HELPERS}
  const participants = [
    mk('p1', 'Alice', { audioMuted: false, videoMuted: true }),
    mk('p2', 'Bob', { audioMuted: true, videoMuted: true }),
    mk('rec', 'Another recorder', { hidden: true }),
    mk('p3', 'Secret', { hfr: true, audioMuted: true, videoMuted: true }),
  ];
  let joined = false;
  setTimeout(() => { joined = true; }, 1000);
  const tags = {};
  window.APP = { conference: {
    _room: {
      isJoined: () => joined,
      getParticipants: () => participants,
      isE2EEEnabled: () => false,
      leave: () => new Promise((resolve) => setTimeout(() => {
        fetch('/left', { method: 'POST' }).then(() => resolve());
      }, 100)),
      room: {
        members: {
          'room@conference.meet.test/p1': { nick: 'Alice', identity: { user: { id: 'u1', name: 'Alice A.' } } },
          'room@conference.meet.test/rec': { nick: 'rec', isHiddenDomain: true },
        },
        addListener: (event, fn) => {
          // A short visit between two polls: joins and leaves before anyone lists participants again.
          if (event === 'xmpp.muc_member_joined') {
            setTimeout(() => fn('room@conference.meet.test/p9', 'Zed', 'participant', false, 's', '', { user: { name: 'Zed Z.' } }), 50);
            setTimeout(() => fn('room@conference.meet.test/h1', 'Hidden bot', 'participant', true, 's', '', null), 50);
          }
        },
        addOrReplaceInPresence: (key, value) => { tags[key] = value.value; },
        sendPresence: () => { fetch('/presence', { method: 'POST', body: JSON.stringify(tags) }); },
      },
    },
    getStats: () => ({ bitrate: { download: 321, upload: 0 } }),
    getConnectionState: () => 'connected',
  } };
`;

/** APP exists but every probe throws. */
const THROWING_MEETING = `
  const boom = () => { throw new Error('boom'); };
  window.APP = { conference: {
    get _room() { throw new Error('no room yet'); },
    getStats: boom,
    getConnectionState: boom,
  } };
`;

/** getStats blocks the renderer for 3 s. */
const HANGING_MEETING = `
  window.APP = { conference: {
    _room: { isJoined: () => true, getParticipants: () => [] },
    getStats: () => { const end = Date.now() + 3000; while (Date.now() < end) {} return { bitrate: { download: 1 } }; },
    getConnectionState: () => 'connected',
  } };
`;

const PAGES: Record<string, string> = {
  '/joins': JOINING_MEETING,
  '/throws': THROWING_MEETING,
  '/hangs': HANGING_MEETING,
  '/noapp': '',
};

interface Received {
  presence: Array<Record<string, string>>;
  left: number;
}

async function startServer(received: Received): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split(/[?#]/)[0] ?? '/';
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (path === '/presence') received.presence.push(JSON.parse(body) as Record<string, string>);
        if (path === '/left') received.left += 1;
        res.writeHead(204).end();
      });
      return;
    }
    const script = PAGES[path];
    if (script === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>fake meet</title><script>${script}</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// ----------------------------------------------------------------------------------------------------------
// Process inspection (Linux /proc)

interface ProcInfo {
  pid: number;
  state: string;
  pgrp: number;
  cmdline: string;
}

function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(entry), state: fields[0] ?? '?', pgrp: Number(fields[2]), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Live (non-zombie) processes in the browser's group or started with its profile directory. */
function liveBrowserProcesses(pid: number | undefined, userDataDir: string): ProcInfo[] {
  return processes().filter((p) => p.state !== 'Z' && (p.pgrp === pid || p.cmdline.includes(userDataDir)));
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

// ----------------------------------------------------------------------------------------------------------

const received: Received = { presence: [], left: 0 };
let server: Server;
let base: string;
let workDir: string;

beforeAll(async () => {
  ({ server, base } = await startServer(received));
  workDir = await mkdtemp(join(tmpdir(), 'scriba-browser-it-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(workDir, { recursive: true, force: true });
});

function launch(name: string, extra: Partial<Parameters<typeof launchBrowser>[0]> = {}): Promise<LaunchedBrowser> {
  return launchBrowser({ userDataDir: join(workDir, name), width: 1280, height: 720, headless: true, kiosk: false, ...extra });
}

describe('meeting page probes in real Chromium', () => {
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    browser = await launch('probes');
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function pageFor(path: string): Promise<MeetingPage> {
    const page = await MeetingPage.create(await browser.browser.newPage());
    await page.open(`${base}${path}#config.iAmRecorder=true`, { timeoutMs: 10_000 });
    return page;
  }

  it('joins, probes, lists participants, sets presence and leaves', async () => {
    const page = await MeetingPage.create(await browser.firstPage());
    await page.open(`${base}/joins#config.iAmRecorder=true`, { timeoutMs: 10_000 });
    const started = performance.now();
    await page.waitForJoin({ timeoutMs: 10_000, pollMs: 100 });
    expect(performance.now() - started).toBeGreaterThan(700);

    expect(await page.snapshot({ timeoutMs: 5000 })).toEqual({
      joined: true,
      participantCount: 3, // Alice + Bob + the recorder; hidden and hidden-from-recorder members excluded
      downloadKbps: 321,
      iceConnected: true,
      allMuted: false, // Alice's audio is on
      e2ee: false,
      pageResponsive: true,
    });

    await new Promise((resolve) => setTimeout(resolve, 150)); // let the short visitor come and go
    const people = await page.participants();
    expect(people).not.toBeNull();
    expect([...(people ?? [])].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'p1', name: 'Alice', hiddenFromRecorder: false },
      { id: 'p2', name: 'Bob', hiddenFromRecorder: false },
      { id: 'p3', name: 'Secret', hiddenFromRecorder: true },
      { id: 'p9', name: 'Zed', hiddenFromRecorder: false },
    ]);

    expect(await page.setPresence({ session_id: 'abc-123', mode: 'FILE' })).toBe(true);
    await expect.poll(() => received.presence.length, { timeout: 3000 }).toBe(1);
    expect(received.presence[0]).toEqual({ session_id: 'abc-123', mode: 'FILE' });

    expect(await page.leave({ timeoutMs: 3000 })).toBe(true);
    expect(received.left).toBe(1);
  });

  it('probes that throw are unknown, never errors', async () => {
    const page = await pageFor('/throws');
    expect(await page.snapshot({ timeoutMs: 5000 })).toEqual({
      joined: null,
      participantCount: null,
      downloadKbps: null,
      iceConnected: null,
      allMuted: null,
      e2ee: null,
      pageResponsive: true,
    });
    expect(await page.participants()).toBeNull();
    expect(await page.setPresence({ mode: 'FILE' })).toBe(false);
    expect(await page.leave({ timeoutMs: 1000 })).toBe(false);
    const err = await rejection(page.waitForJoin({ timeoutMs: 600, pollMs: 100 }));
    expect(err.code).toBe('join_timeout');
    expect(err.message).toContain('no room yet');
  });

  it('a page without APP times out the join quickly', async () => {
    const page = await pageFor('/noapp');
    const started = performance.now();
    const err = await rejection(page.waitForJoin({ timeoutMs: 1000, pollMs: 100 }));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err.code).toBe('join_timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('APP is not defined');
    expect((await page.snapshot({ timeoutMs: 5000 })).participantCount).toBeNull();
  });

  it('a hung page is reported unresponsive', async () => {
    const page = await pageFor('/hangs');
    const started = performance.now();
    const snap = await page.snapshot({ timeoutMs: 500 });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(snap.pageResponsive).toBe(false);
  });

  it('page load failures are page_load_failed', async () => {
    const page = await MeetingPage.create(await browser.browser.newPage());
    const missing = await rejection(page.open(`${base}/missing`, { timeoutMs: 5000 }));
    expect(missing).toMatchObject({ code: 'page_load_failed', retryable: false });
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const refused = await rejection(page.open(`http://127.0.0.1:${closedPort}/room`, { timeoutMs: 5000 }));
    expect(refused).toMatchObject({ code: 'page_load_failed', retryable: true });
    expect(refused.message).toContain('ERR_CONNECTION_REFUSED');
  });
});

describe('browser lifecycle', () => {
  it('runs one renderer for the meeting (no preloaded omnibox popup beside it), and no network or audio utility process', async () => {
    const dir = join(workDir, 'renderers');
    const browser = await launch('renderers');
    try {
      const page = await browser.firstPage();
      await page.goto(`${base}/joins`);
      const { targetInfos } = await (await browser.browser.target().createCDPSession()).send('Target.getTargets');
      expect(targetInfos.map((t) => `${t.type} ${t.url}`)).toEqual([`page ${base}/joins`]);
      const processes = liveBrowserProcesses(browser.pid, dir);
      expect(processes.filter((p) => p.cmdline.includes('--type=renderer'))).toHaveLength(1);
      // Both services run inside the browser process (chromium-args.ts).
      const services = processes.flatMap((p) => /--utility-sub-type=(\S+)/.exec(p.cmdline)?.[1] ?? []);
      expect(services.filter((s) => /NetworkService|AudioService/.test(s))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('close() stops every Chromium process of ours, once', async () => {
    const dir = join(workDir, 'close');
    const browser = await launch('close');
    expect(browser.pid).toBeTypeOf('number');
    expect(liveBrowserProcesses(browser.pid, dir).length).toBeGreaterThan(1);
    const first = browser.close();
    expect(browser.close()).toBe(first);
    await first;
    expect(() => process.kill(browser.pid ?? -1, 0)).toThrow();
    expect(liveBrowserProcesses(browser.pid, dir)).toEqual([]);
    await browser.close(); // still fine
  });

  it('closing the browser while waitForJoin is pending rejects promptly', async () => {
    const dir = join(workDir, 'crash');
    const browser = await launch('crash');
    const page = await MeetingPage.create(await browser.firstPage());
    await page.open(`${base}/noapp`, { timeoutMs: 10_000 });
    const waiting = rejection(page.waitForJoin({ timeoutMs: 20_000, pollMs: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const closed = browser.close();
    const err = await waiting;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err.code).toBe('browser_crashed');
    expect(err.retryable).toBe(true);
    await closed;
    expect(page.isDead).toBe(true);
    expect(await page.participants()).toBeNull();
    expect(await page.leave()).toBe(false);
    expect(liveBrowserProcesses(browser.pid, dir)).toEqual([]);
  });

  it('an abort during launch leaves nothing running', async () => {
    const dir = join(workDir, 'abort');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop requested')), 150);
    const err = await rejection(launch('abort', { signal: ac.signal }));
    expect(err.code).toBe('aborted');
    await expect.poll(() => liveBrowserProcesses(undefined, dir).length, { timeout: 5000 }).toBe(0);
  });

  it.skipIf(!existsSync('/usr/bin/Xvfb'))('headful kiosk on a private Xvfb display fills the whole screen', async () => {
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    try {
      const display = await new Promise<string>((resolve, reject) => {
        let out = '';
        xvfb.stdio[3]?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(`:${out.trim()}`);
        });
        xvfb.once('exit', () => reject(new Error('Xvfb exited')));
        setTimeout(() => reject(new Error('Xvfb did not start')), 5000);
      });
      const browser = await launch('kiosk', { headless: false, kiosk: true, env: { DISPLAY: display } });
      try {
        const png = await (await browser.firstPage()).screenshot({ type: 'png' });
        // PNG IHDR: width and height are big-endian at bytes 16 and 20.
        const size = [Buffer.from(png).readUInt32BE(16), Buffer.from(png).readUInt32BE(20)];
        expect(size[0]).toBeGreaterThanOrEqual(1280);
        expect(size[1]).toBeGreaterThanOrEqual(720);
      } finally {
        await browser.close();
      }
    } finally {
      if (xvfb.pid !== undefined && xvfb.exitCode === null) process.kill(xvfb.pid, 'SIGTERM');
    }
  });

  it('a browser that cannot start is browser_crashed, system scope, retryable', async () => {
    const err = await rejection(launch('missing', { executablePath: '/nonexistent/chromium' }));
    expect(err).toMatchObject({ code: 'browser_crashed', scope: 'system', retryable: true });
  });
});
