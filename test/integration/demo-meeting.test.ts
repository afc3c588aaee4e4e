/**
 * The synthetic meeting: its fixture media (ffprobe + decoded samples), its HTTP server, and the page in real
 * Chromium answering a recorder's probes the way Jitsi Meet does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { buildChromiumArgs } from '../../src/browser/chromium-args.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOCK_TILE,
  FIXTURE_CYCLE_SECONDS,
  SYNC_TILE,
  demoMeetingUrl,
  ensureFixtures,
  loadFixtureManifest,
  clockMarkMs,
  clockTileRect,
  startDemoMeeting,
  syncTileRect,
  type DemoMeeting,
  type DemoMeetingScript,
  type FixtureManifest,
} from '../../src/demo-meeting/demo-meeting-server.ts';

// In-page code is typed loosely: it talks to the page's Jitsi-shaped globals.
type AnyWindow = Window & { APP: any; __scribaDemo: any; __events?: string[] };

const VIEWPORT = { width: 1280, height: 720 };
const LOCAL_STORAGE = {
  xmpp_username_override: 'recorder@recorder.meet.example-1a2b3c4d',
  xmpp_password_override: 'recorder-password',
  displayname: 'Recorder',
  email: 'recorder@example.com',
  callStatsUserName: 'recorder-1',
};
/** The hash a recorder puts on the meeting URL (docs/jitsi-recorder.md). */
const RECORDER_HASH = [
  'config.iAmRecorder=true',
  'config.externalConnectUrl=null',
  'config.startWithAudioMuted=true',
  'config.startWithVideoMuted=true',
  'config.disableInitialGUM=true',
  'config.p2p.enabled=false',
  'config.prejoinConfig.enabled=false',
  'config.requireDisplayName=false',
  'config.analytics.disabled=true',
  'config.deeplinking.disabled=true',
  `interfaceConfig.APP_NAME=${encodeURIComponent('"Jibri"')}`,
  'config.useHostPageLocalStorage=true',
  `appData.localStorageContent=${encodeURIComponent(JSON.stringify(LOCAL_STORAGE))}`,
].join('&');

let meeting: DemoMeeting;
let browser: Browser;
let userDataDir: string;
let manifest: FixtureManifest;
let fixturesDir: string;

beforeAll(async () => {
  fixturesDir = await ensureFixtures();
  manifest = await loadFixtureManifest(fixturesDir);
  meeting = await startDemoMeeting({ port: 0, fixturesDir });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'scriba-demo-meeting-test-'));
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: false,
    ignoreDefaultArgs: ['--mute-audio'],
    defaultViewport: VIEWPORT,
    // The recorder's own flags: the synthetic meeting is tested in the browser set-up that will record it.
    args: buildChromiumArgs({ userDataDir, width: VIEWPORT.width, height: VIEWPORT.height, headless: true, kiosk: false }),
  });
});

afterAll(async () => {
  await browser?.close();
  await meeting?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openMeeting(roomPath: string, script: DemoMeetingScript, hash = RECORDER_HASH, jwt?: string): Promise<Page> {
  const page = await browser.newPage();
  const url = demoMeetingUrl(meeting.url, roomPath, script, jwt ? { jwt } : {});
  await page.goto(`${url}${hash ? `#${hash}` : ''}`, { waitUntil: 'domcontentloaded' });
  return page;
}

async function waitFor(page: Page, fn: () => unknown, timeout = 10_000): Promise<void> {
  await page.waitForFunction(fn, { polling: 100, timeout });
}

function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

interface Probe {
  format: { duration: string };
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    r_frame_rate?: string;
    sample_rate?: string;
    channels?: number;
    tags?: Record<string, string>;
  }[];
}
async function ffprobe(file: string): Promise<Probe> {
  const out = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]);
  return JSON.parse(out.toString()) as Probe;
}

function rawGet(
  pathAndQuery: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // node:http sends the path as given: no "../" resolution on the way out.
    const req = httpRequest({ host: '127.0.0.1', port: meeting.port, path: pathAndQuery, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fixtures', () => {
  it('has six participants with distinct voices, known sentences and staggered speech slots', () => {
    expect(manifest.cycleSeconds).toBe(FIXTURE_CYCLE_SECONDS);
    expect(manifest.participants).toHaveLength(6);
    expect(new Set(manifest.participants.map((p) => p.voice)).size).toBe(6);
    expect(new Set(manifest.participants.map((p) => p.displayName)).size).toBe(6);
    for (const p of manifest.participants) {
      expect(p.sentences).toHaveLength(2);
      for (const s of p.sentences) expect(s).toMatch(/^[A-Z][a-z ]+\.$/);
      const slot = ((p.index - 1) % 3) * manifest.slotSeconds;
      expect(p.slotOffsetSeconds).toBe(slot);
      expect(p.speechStartSeconds).toBeGreaterThanOrEqual(slot);
      expect(p.speechEndSeconds).toBeLessThanOrEqual(slot + manifest.slotSeconds);
    }
  });

  it('clips are VP8 + Opus/Vorbis, all exactly one cycle long; voices are 16 kHz mono', async () => {
    const files = [...manifest.participants.map((p) => p.clipFile), 'sync.webm'];
    for (const file of files) {
      const probe = await ffprobe(path.join(fixturesDir, file));
      const video = probe.streams.find((s) => s.codec_type === 'video');
      const audio = probe.streams.find((s) => s.codec_type === 'audio');
      expect(Math.abs(Number(probe.format.duration) - FIXTURE_CYCLE_SECONDS), file).toBeLessThan(0.1);
      expect(video, file).toMatchObject(
        file === 'sync.webm'
          ? { codec_name: 'vp8', width: 320, height: 180, r_frame_rate: '30/1' }
          : { codec_name: 'vp8', width: 640, height: 360, r_frame_rate: '30/1' },
      );
      expect(['opus', 'vorbis']).toContain(audio?.codec_name);
      expect(audio?.sample_rate).toBe('48000');
    }
    for (const p of manifest.participants) {
      const probe = await ffprobe(path.join(fixturesDir, p.voiceFile));
      expect(probe.streams[0]).toMatchObject({ codec_type: 'audio', codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 });
      const seconds = Number(probe.format.duration);
      expect(seconds).toBeCloseTo(p.speechEndSeconds - p.speechStartSeconds, 1);
    }
  });

  it("camera-N.webm: camera-like VP8 (1 at 720p, the others at 360p) at Jitsi-like rates, noisy in every frame, with participant N's audio", async () => {
    for (const p of manifest.participants) {
      const file = path.join(fixturesDir, `camera-${p.index}.webm`);
      const probe = await ffprobe(file);
      const video = probe.streams.find((s) => s.codec_type === 'video');
      expect(Math.abs(Number(probe.format.duration) - FIXTURE_CYCLE_SECONDS), file).toBeLessThan(0.1);
      expect(video, file).toMatchObject(
        p.index === 1
          ? { codec_name: 'vp8', width: 1280, height: 720, r_frame_rate: '30/1' }
          : { codec_name: 'vp8', width: 640, height: 360, r_frame_rate: '30/1' },
      );
      // No alpha stream beside the picture (a browser would decode that too).
      expect(video?.tags?.['alpha_mode'] ?? video?.tags?.['ALPHA_MODE'], file).toBeUndefined();
      expect(probe.streams.find((s) => s.codec_type === 'audio')?.sample_rate).toBe('48000');
    }
    // Sensor-like noise: two consecutive frames of a still region differ (a flat clip's frames would not).
    const raw = await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      path.join(fixturesDir, 'camera-2.webm'),
      '-frames:v',
      '2',
      '-vf',
      'crop=64:64:0:0,format=gray',
      '-f',
      'rawvideo',
      '-',
    ]);
    const a = raw.subarray(0, 4096);
    const b = raw.subarray(4096, 8192);
    let diff = 0;
    for (let i = 0; i < 4096; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / 4096).toBeGreaterThan(0.5);
  });

  it('sync.webm: white frames and 1 kHz beep coincide, 0-100 ms of every second, 0-300 ms at the cycle start', async () => {
    const file = path.join(fixturesDir, 'sync.webm');
    const pcm = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1', '-ar', '48000', '-']);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
    const frames = await run('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'scale=4:4,format=gray', '-f', 'rawvideo', '-']);
    expect(frames.length / 16).toBe(FIXTURE_CYCLE_SECONDS * 30);
    for (let f = 0; f < frames.length / 16; f++) {
      const luma = frames.subarray(f * 16, f * 16 + 16).reduce((a, b) => a + b, 0) / 16;
      if (f % 30 < 3 || f < 9) expect(luma, `frame ${f}`).toBeGreaterThan(235);
      else expect(luma, `frame ${f}`).toBeLessThan(20);
    }
    const loud = (from: number, to: number): number => {
      let peak = 0;
      for (let i = from; i < to; i++) peak = Math.max(peak, Math.abs(samples[i] ?? 0));
      return peak;
    };
    for (let sec = 0; sec < FIXTURE_CYCLE_SECONDS; sec++) {
      const base = sec * 48000;
      let onset = base;
      while (Math.abs(samples[onset] ?? 0) < 1500 && onset < base + 4800) onset++;
      expect((onset - base) / 48, `beep onset in second ${sec} (ms)`).toBeLessThan(2);
      expect(loud(base + 240, base + 4560), `beep in second ${sec}`).toBeGreaterThan(10000);
      // The cycle's first beep is the 300 ms marker.
      if (sec === 0) expect(loud(base + 4800, base + 14160), 'marker beep').toBeGreaterThan(10000);
      // Opus smears a hard edge by a few ms (about -40 dB); from 120 ms (320 ms for the marker) to 980 ms it is silence.
      expect(loud(base + (sec === 0 ? 15360 : 5760), base + 47040), `silence after beep ${sec}`).toBeLessThan(100);
    }
  });
});

describe('server', () => {
  it('serves the meeting page for any path, media with content types and ranges, and refuses traversal', async () => {
    for (const p of ['/room', '/tenant/Room?participants=2', '/a/b/c']) {
      const res = await rawGet(p);
      expect(res.status, p).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body.toString()).toContain('__SCRIBA_DEMO_BOOT__');
    }
    const full = await rawGet('/media/participant-1.webm');
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('video/webm');
    expect(full.headers['accept-ranges']).toBe('bytes');
    const size = full.body.length;

    const part = await rawGet('/media/participant-1.webm', { Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${size}`);
    expect(part.body.equals(full.body.subarray(100, 200))).toBe(true);
    const tail = await rawGet('/media/participant-1.webm', { Range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(full.body.subarray(size - 10))).toBe(true);
    const open = await rawGet('/media/participant-1.webm', { Range: `bytes=${size - 5}-` });
    expect(open.status).toBe(206);
    expect(open.body.length).toBe(5);
    expect((await rawGet('/media/participant-1.webm', { Range: `bytes=${size}-` })).status).toBe(416);
    const head = await rawGet('/media/sync.webm', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await rawGet('/media/voice-1.wav')).headers['content-type']).toBe('audio/wav');
    expect((await rawGet('/media/sentences.json')).headers['content-type']).toMatch(/^application\/json/);

    for (const p of [
      '/media/../package.json',
      '/media/..%2Fpackage.json',
      '/media/%2e%2e%2f%2e%2e%2fpackage.json',
      '/media/..%5C..%5Cpackage.json',
      '/media/.stamp',
      '/media/%2Fetc%2Fpasswd',
    ]) {
      const res = await rawGet(p);
      expect([400, 403], p).toContain(res.status);
      expect(res.body.toString(), p).not.toContain('"name"');
    }
    expect((await rawGet('/media/missing.webm')).status).toBe(404);
    expect((await rawGet('/room', {}, 'POST')).status).toBe(405);
  });
});

describe('the meeting page, as a recorder sees it', () => {
  it('joins, shows three decoding participants with live tracks, and took the recorder login', async () => {
    const page = await openMeeting('acme/DemoRoom', { participants: 3 }, RECORDER_HASH, 'jwt-token-123');
    try {
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.isJoined() === true, 5000);
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 3);

      const seen = await page.evaluate(() => {
        const w = window as unknown as AnyWindow;
        const room = w.APP.conference._room;
        const ps = room.getParticipants() as any[];
        return {
          state: w.APP.conference.getConnectionState(),
          // Jibri's own probe for the participant count.
          jibriCount: ps.filter((p) => !(p.isHidden() || p.isHiddenFromRecorder())).length + 1,
          e2ee: room.isE2EEEnabled(),
          names: ps.map((p) => p.getDisplayName()),
          ids: ps.map((p) => p.getId()),
          muted: ps.map((p) => p.isAudioMuted() || p.isVideoMuted()),
          tracks: ps.flatMap((p) =>
            p.getTracks().map((t: any) => {
              const mst = t.getTrack();
              return {
                owner: t.getParticipantId() === p.getId(),
                type: t.getType(),
                isTrack: mst instanceof MediaStreamTrack,
                kind: mst.kind,
                readyState: mst.readyState,
                muted: t.isMuted(),
              };
            }),
          ),
          members: Object.values(room.room.members).map((m: any) => m.identity.user.name),
          demo: {
            jwt: w.__scribaDemo.jwt,
            room: w.__scribaDemo.room,
            tenant: w.__scribaDemo.tenant,
            iAmRecorder: w.__scribaDemo.hashParams['config.iAmRecorder'],
            appName: (w as unknown as { interfaceConfig: { APP_NAME: unknown } }).interfaceConfig.APP_NAME,
            p2p: (w as unknown as { config: { p2p: { enabled: unknown } } }).config.p2p.enabled,
            externalConnectUrl: w.__scribaDemo.hashParams['config.externalConnectUrl'],
            stored: w.__scribaDemo.localStorage,
          },
          localStorage: {
            user: localStorage.getItem('xmpp_username_override'),
            password: localStorage.getItem('xmpp_password_override'),
            displayname: localStorage.getItem('displayname'),
          },
        };
      });
      expect(seen.state).toBe('connected');
      expect(seen.jibriCount).toBe(4);
      expect(seen.e2ee).toBe(false);
      expect(seen.names).toEqual(manifest.participants.slice(0, 3).map((p) => p.displayName));
      expect(new Set(seen.ids).size).toBe(3);
      expect(seen.muted).toEqual([false, false, false]);
      expect(seen.tracks).toHaveLength(6);
      for (const t of seen.tracks) {
        expect(t).toMatchObject({ owner: true, isTrack: true, readyState: 'live', muted: false });
        expect(t.kind).toBe(t.type);
      }
      expect(seen.members.sort()).toEqual([...seen.names].sort());
      expect(seen.demo).toMatchObject({
        jwt: 'jwt-token-123',
        room: 'demoroom',
        tenant: 'acme',
        iAmRecorder: true,
        appName: 'Jibri',
        p2p: false,
        externalConnectUrl: null,
      });
      expect(seen.demo.stored).toEqual(LOCAL_STORAGE);
      expect(seen.localStorage).toEqual({
        user: LOCAL_STORAGE.xmpp_username_override,
        password: LOCAL_STORAGE.xmpp_password_override,
        displayname: 'Recorder',
      });

      // Real decoding <video> elements that advance, started together; the sync tile where promised.
      const videos = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('video')].map((v) => ({
            id: v.id,
            w: v.videoWidth,
            t: v.currentTime,
            paused: v.paused,
            muted: v.muted,
            src: v.currentSrc,
          })),
        );
      const before = await videos();
      await new Promise((r) => setTimeout(r, 1200));
      const after = await videos();
      expect(after).toHaveLength(4);
      for (const [i, v] of after.entries()) {
        expect(v.w, v.src).toBeGreaterThan(0);
        expect(v.paused || v.muted, v.src).toBe(false);
        expect(v.t - (before[i]?.t ?? 0), v.src).toBeGreaterThan(0.5);
      }
      const times = after.map((v) => v.t);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(0.3);
      const geometry = await page.evaluate(() => {
        const r = document.getElementById('sync-tile')!.getBoundingClientRect();
        return {
          rect: { x: r.x, y: r.y, width: r.width, height: r.height },
          tag: document.getElementById('sync-tile')!.tagName,
          scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight],
          bg: getComputedStyle(document.body).backgroundColor,
        };
      });
      expect(geometry.tag).toBe('VIDEO');
      expect(geometry.rect).toEqual(syncTileRect(VIEWPORT));
      expect(SYNC_TILE).toMatchObject({ width: 160, height: 90, right: 0, bottom: 0 });
      expect(geometry.scroll).toEqual([VIEWPORT.width, VIEWPORT.height, VIEWPORT.width, VIEWPORT.height]);
      expect(geometry.bg).toBe('rgb(0, 0, 0)');

      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference.getStats().bitrate.download > 0, 4000);

      // Presence tags as Jibri sets them.
      const presence = await page.evaluate(() => {
        const room = (window as unknown as AnyWindow).APP.conference._room.room;
        room.addOrReplaceInPresence('session_id', { value: 'sess-1' });
        room.addOrReplaceInPresence('mode', { value: 'FILE' });
        room.sendPresence();
        return (window as unknown as AnyWindow).__scribaDemo.presence;
      });
      expect(presence).toEqual({ session_id: 'sess-1', mode: 'FILE' });

      await page.evaluate(() => (window as unknown as AnyWindow).APP.conference._room.leave());
      expect(await page.evaluate(() => (window as unknown as AnyWindow).APP.conference._room.isJoined())).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('clock=1 shows the wall-clock tile: white for 100 ms from each second’s mark, where clockTileRect says', async () => {
    const page = await openMeeting('acme/clock', { participants: 1, clock: true, clockBeep: true, sync: false });
    try {
      await waitFor(page, () => document.getElementById('clock-tile') !== null);
      const seen = await page.evaluate(
        () =>
          new Promise<{ rect: { x: number; y: number; width: number; height: number }; frames: Array<[number, boolean]> }>((resolve) => {
            const tile = document.getElementById('clock-tile')!;
            const r = tile.getBoundingClientRect();
            const frames: Array<[number, boolean]> = [];
            const end = Date.now() + 2500;
            const sample = () => {
              // The tile's class was set by the page's own frame callback, which ran before this one.
              frames.push([Date.now(), getComputedStyle(tile).backgroundColor === 'rgb(255, 255, 255)']);
              if (Date.now() < end) requestAnimationFrame(sample);
              else resolve({ rect: { x: r.x, y: r.y, width: r.width, height: r.height }, frames });
            };
            requestAnimationFrame(sample);
          }),
      );
      expect(seen.rect).toEqual(clockTileRect(VIEWPORT));
      expect(CLOCK_TILE).toMatchObject({ width: 160, height: 90, left: 0, bottom: 0, flashMs: 100, beepHz: 2000 });
      expect(seen.frames.some(([, on]) => on)).toBe(true);
      expect(seen.frames.some(([, on]) => !on)).toBe(true);
      // Well inside or well outside the flash (a frame may straddle its edges): the colour follows the marks.
      for (const [now, on] of seen.frames) {
        const sinceMark = now - clockMarkMs(now - (now % 1000));
        if (sinceMark > 5 && sinceMark < 90) expect(on, `${sinceMark} ms after the mark`).toBe(true);
        if (sinceMark < -5 || sinceMark > 120) expect(on, `${sinceMark} ms after the mark`).toBe(false);
      }
      // clockBeep=1: a beep is scheduled for each second's mark on the audio output's clock.
      const beeps = await page.evaluate(() => (window as unknown as AnyWindow).__scribaDemo.clockBeeps as number[]);
      expect(beeps.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < beeps.length; i++) expect(beeps[i]! - beeps[i - 1]!).toBe(1000);
    } finally {
      await page.close();
    }
  });

  it('syncRate plays the sync clip at that rate, resampled rather than time-stretched', async () => {
    const page = await openMeeting('acme/sliding', { participants: 1, syncRate: 1.001 });
    try {
      await waitFor(page, () => document.getElementById('sync-tile') !== null);
      const tile = await page.evaluate(() => {
        const v = document.getElementById('sync-tile') as HTMLVideoElement;
        return { rate: v.playbackRate, preservesPitch: v.preservesPitch };
      });
      expect(tile).toEqual({ rate: 1.001, preservesPitch: false });
    } finally {
      await page.close();
    }
  });

  it('emits lib-jitsi-meet events, and leaveAfter empties the meeting', async () => {
    const page = await openMeeting('acme/leaving', { participants: 3, joinDelay: 1, leaveAfter: 2 });
    try {
      await page.evaluate(() => {
        const w = window as unknown as AnyWindow;
        const events: string[] = [];
        w.__events = events;
        const room = w.APP.conference._room;
        for (const name of ['conference.userJoined', 'conference.userLeft', 'conference.trackAdded', 'conference.trackRemoved']) {
          room.on(name, () => events.push(name));
        }
        room.room.addListener('xmpp.muc_member_joined', () => events.push('xmpp.muc_member_joined'));
        room.room.addListener('xmpp.muc_member_left', () => events.push('xmpp.muc_member_left'));
        return room.isJoined();
      });
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 3);
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 0);
      const after = await page.evaluate(() => {
        const w = window as unknown as AnyWindow;
        const count = (n: string) => (w.__events ?? []).filter((e) => e === n).length;
        return {
          joined: count('conference.userJoined'),
          left: count('conference.userLeft'),
          added: count('conference.trackAdded'),
          removed: count('conference.trackRemoved'),
          mucJoined: count('xmpp.muc_member_joined'),
          mucLeft: count('xmpp.muc_member_left'),
          members: Object.keys(w.APP.conference._room.room.members).length,
          tiles: document.querySelectorAll('.tile').length,
          sync: document.getElementById('sync-tile') !== null,
          stillJoined: w.APP.conference._room.isJoined(),
        };
      });
      expect(after).toEqual({
        joined: 3,
        left: 3,
        added: 6,
        removed: 6,
        mucJoined: 3,
        mucLeft: 3,
        members: 0,
        tiles: 0,
        sync: false,
        stillJoined: true,
      });
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference.getStats().bitrate.download === 0, 3000);
    } finally {
      await page.close();
    }
  });

  it('mediaStopAfter stops the media (bitrate 0) while participants stay', async () => {
    const page = await openMeeting('stalled', { participants: 2, mediaStopAfter: 1.5 });
    try {
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference.getStats().bitrate.download > 0);
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference.getStats().bitrate.download === 0);
      const state = await page.evaluate(() => {
        const room = (window as unknown as AnyWindow).APP.conference._room;
        const ps = room.getParticipants() as any[];
        return {
          count: ps.length,
          muted: ps.some((p) => p.isAudioMuted() || p.isVideoMuted()),
          paused: [...document.querySelectorAll('video')].every((v) => v.paused),
          connection: (window as unknown as AnyWindow).APP.conference.getConnectionState(),
        };
      });
      expect(state).toEqual({ count: 2, muted: false, paused: true, connection: 'connected' });
    } finally {
      await page.close();
    }
  });

  it('e2ee, hidden-from-recorder (not rendered for a recorder) and muted participants', async () => {
    const page = await openMeeting('secret', { participants: 3, e2ee: true, hiddenFromRecorder: [2], muted: [3] });
    try {
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 3);
      const seen = await page.evaluate(() => {
        const room = (window as unknown as AnyWindow).APP.conference._room;
        const ps = room.getParticipants() as any[];
        return {
          e2ee: room.isE2EEEnabled(),
          hidden: ps.map((p) => p.isHiddenFromRecorder()),
          muted: ps.map((p) => p.isAudioMuted() && p.isVideoMuted()),
          jibriCount: ps.filter((p) => !(p.isHidden() || p.isHiddenFromRecorder())).length + 1,
          live: ps.flatMap((p) => p.getTracks().map((t: any) => t.getTrack().readyState)),
          tiles: [...document.querySelectorAll('.tile .name')].map((e) => e.textContent),
          tileVideos: document.querySelectorAll('.tile video').length,
        };
      });
      const [p1, , p3] = manifest.participants;
      expect(seen).toEqual({
        e2ee: true,
        hidden: [false, true, false],
        muted: [false, false, true],
        jibriCount: 3,
        live: ['live', 'live', 'live', 'live', 'live', 'live'],
        tiles: [p1!.displayName, p3!.displayName],
        tileVideos: 1,
      });
    } finally {
      await page.close();
    }

    // Without config.iAmRecorder the hidden participant is an ordinary tile.
    const guest = await openMeeting('secret', { participants: 2, hiddenFromRecorder: [2], sync: false }, '');
    try {
      await waitFor(guest, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 2);
      const tiles = await guest.evaluate(() => [
        document.querySelectorAll('.tile video').length,
        document.getElementById('sync-tile') !== null,
      ]);
      expect(tiles).toEqual([2, false]);
    } finally {
      await guest.close();
    }
  });

  it('display name changes, iceFailAfter and kickAfter', async () => {
    const page = await openMeeting('flaky', { participants: 1, sync: false, iceFailAfter: 1.5, kickAfter: 2.5 });
    try {
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 1);
      const renamed = await page.evaluate(() => {
        const w = window as unknown as AnyWindow;
        const events: string[] = [];
        w.__events = events;
        const room = w.APP.conference._room;
        room.on('conference.displayNameChanged', (_id: string, name: string) => events.push(`conference:${name}`));
        room.on('conference.kicked', () => events.push('conference.kicked'));
        room.on('conference.left', () => events.push('conference.left'));
        room.room.addListener('xmpp.display_name_changed', (_jid: string, name: string) => events.push(`xmpp:${name}`));
        room.room.addListener('xmpp.kicked', (isSelf: boolean) => events.push(`xmpp.kicked:${isSelf}`));
        (
          window as unknown as { __scribaDemoControl: { setDisplayName(n: number, name: string): boolean } }
        ).__scribaDemoControl.setDisplayName(1, 'Renamed Person');
        return room.getParticipants()[0].getDisplayName();
      });
      expect(renamed).toBe('Renamed Person');
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference.getConnectionState() === 'disconnected');
      expect(await page.evaluate(() => (window as unknown as AnyWindow).APP.conference.getStats().bitrate.download)).toBe(0);
      await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.isJoined() === false);
      expect(await page.evaluate(() => (window as unknown as AnyWindow).__events)).toEqual([
        'xmpp:Renamed Person',
        'conference:Renamed Person',
        'xmpp.kicked:true',
        'conference.kicked',
        'conference.left',
      ]);
    } finally {
      await page.close();
    }
  });

  it('content=camera plays the camera-like clips; the default is the flat ones', async () => {
    for (const [content, prefix] of [
      ['camera', 'camera-'],
      [undefined, 'participant-'],
    ] as const) {
      const page = await openMeeting('content', { participants: 2, ...(content ? { content } : {}) });
      try {
        await waitFor(page, () => (window as unknown as AnyWindow).APP.conference._room.getParticipants().length === 2);
        const sources = await page.evaluate(() =>
          [...document.querySelectorAll('.tile video')].map((v) => (v as HTMLVideoElement).currentSrc),
        );
        expect(sources).toHaveLength(2);
        for (const src of sources) expect(src).toMatch(new RegExp(`/media/${prefix}\\d\\.webm$`));
        expect(await page.evaluate(() => (window as unknown as AnyWindow).__scribaDemo.script.content)).toBe(content ?? 'flat');
      } finally {
        await page.close();
      }
    }
  });

  it('neverJoin keeps isJoined() false', async () => {
    const page = await openMeeting('nobody', { neverJoin: true });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const state = await page.evaluate(() => {
        const w = window as unknown as AnyWindow;
        return [w.APP.conference._room.isJoined(), w.APP.conference.getConnectionState(), w.APP.conference._room.getParticipants().length];
      });
      expect(state).toEqual([false, null, 0]);
    } finally {
      await page.close();
    }
  });
});
