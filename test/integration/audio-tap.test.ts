/**
 * The audio tap in real Chromium against the synthetic meeting: 3 speakers in staggered slots (participant 3
 * joining late, participant 2 leaving early, participant 1 muted for a while and renamed) and a 4th hidden from
 * the recorder. Each tapped participant must carry speech in its own slots only, on a continuous timeline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/browser/launch.ts';
import { MeetingPage } from '../../src/browser/meeting-page.ts';
import {
  demoMeetingUrl,
  ensureFixtures,
  loadFixtureManifest,
  startDemoMeeting,
  type DemoMeeting,
  type FixtureManifest,
} from '../../src/demo-meeting/demo-meeting-server.ts';
import { AudioTap, type TapChunk, type TapParticipantEvent } from '../../src/transcription/audio-tap.ts';
import { pcmRms, wavHeader } from '../../src/transcription/pcm-chunk.ts';

const id = (n: number): string => `5c0e${String(n).padStart(4, '0')}`;
const ARRIVE_S = 8; // participant 3, seconds after the recorder's join
const DEPART_S = 21; // participant 2
const RUN_MS = 25_000;

let meeting: DemoMeeting;
let browser: LaunchedBrowser;
let workDir: string;
let manifest: FixtureManifest;

interface Seen {
  captureStartedAtMs: number;
  chunks: TapChunk[];
  participants: Array<TapParticipantEvent & { atMs: number }>;
  warnings: string[];
  /** Epoch ms of cycle time 0 of each participant's own clip (clips drift apart by up to 0.35 s), sampled each second. */
  cycleAnchors: Record<string, Array<{ at: number; anchor: number }>>;
  /** Epoch ms of conference.userJoined / userLeft per participant id, as the page saw them. */
  joinedAt: Record<string, number>;
  leftAt: Record<string, number>;
  muteAt: number;
  unmuteAt: number;
  ended: string[];
}
let seen: Seen;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const fixturesDir = await ensureFixtures();
  manifest = await loadFixtureManifest(fixturesDir);
  meeting = await startDemoMeeting({ port: 0, fixturesDir });
  workDir = await mkdtemp(join(tmpdir(), 'scriba-audio-tap-it-'));
  browser = await launchBrowser({ userDataDir: join(workDir, 'profile'), width: 1280, height: 720, headless: true, kiosk: false });
  const tab = await browser.firstPage();
  const page = await MeetingPage.create(tab);
  const url = demoMeetingUrl(
    meeting.url,
    'tapped',
    { participants: 4, hiddenFromRecorder: [4] },
    { arrivals: `3:${ARRIVE_S}`, departures: `2:${DEPART_S}` },
  );
  await page.open(`${url}#config.iAmRecorder=true`);
  // Test-only hooks: when the page saw joins and leaves (epoch ms), and where the clips' cycle starts.
  await tab.evaluate(`(() => {
    window.__t = { joined: {}, left: {} };
    APP.conference._room.on('conference.userJoined', (id) => { window.__t.joined[id] = performance.timeOrigin + performance.now(); });
    APP.conference._room.on('conference.userLeft', (id) => { window.__t.left[id] = performance.timeOrigin + performance.now(); });
  })()`);
  await page.waitForJoin({ timeoutMs: 15_000 });

  const captureStartedAtMs = Date.now();
  seen = {
    captureStartedAtMs,
    chunks: [],
    participants: [],
    warnings: [],
    cycleAnchors: {},
    joinedAt: {},
    leftAt: {},
    muteAt: 0,
    unmuteAt: 0,
    ended: [],
  };
  const tap = new AudioTap(page, { captureStartedAtMs });
  tap.on('chunk', (c) => seen.chunks.push(c));
  tap.on('participant', (p) => seen.participants.push({ ...p, atMs: Date.now() - captureStartedAtMs }));
  tap.on('warning', (w) => seen.warnings.push(w));
  tap.on('end', (r) => seen.ended.push(r));
  const abort = new AbortController();
  const started = await tap.start({ signal: abort.signal });
  expect(started).toMatchObject({ ok: true, processor: 'audio-worklet', contextSampleRate: 16_000 });

  const anchor = `(() => { const v = document.getElementById('sync-tile'); return v && !v.paused ? performance.timeOrigin + performance.now() - v.currentTime * 1000 : null; })()`;
  const anchors = `(() => {
    const out = {};
    for (const v of document.querySelectorAll('[data-participant-id] video')) {
      if (!v.paused) out[v.closest('[data-participant-id]').dataset.participantId] = performance.timeOrigin + performance.now() - v.currentTime * 1000;
    }
    return out;
  })()`;
  const t0 = Date.now();
  const at = async (ms: number): Promise<void> => sleep(Math.max(0, t0 + ms - Date.now()));
  // Participant 1 speaks at cycle 0.3–4.4 s: mute it inside participant 3's slot, rename it after.
  const phaseNow = async (): Promise<number> => {
    const a = (await tab.evaluate(anchor)) as number | null;
    return a === null ? 0 : ((Date.now() - a) / 1000) % manifest.cycleSeconds;
  };
  await at(1000);
  const phase = await phaseNow();
  const untilMute = ((13 - phase + manifest.cycleSeconds) % manifest.cycleSeconds) * 1000;
  for (let ms = 2000; ms < RUN_MS; ms += 1000) {
    await at(ms);
    const now = Date.now();
    for (const [pid, a] of Object.entries((await tab.evaluate(anchors)) as Record<string, number>)) {
      (seen.cycleAnchors[pid] ??= []).push({ at: now, anchor: a });
    }
    if (seen.muteAt === 0 && ms >= untilMute) {
      await tab.evaluate('__scribaDemoControl.setMuted(1, true)');
      seen.muteAt = Date.now() - captureStartedAtMs;
      await sleep(2500);
      await tab.evaluate('__scribaDemoControl.setMuted(1, false)');
      seen.unmuteAt = Date.now() - captureStartedAtMs;
      await tab.evaluate(`__scribaDemoControl.setDisplayName(1, 'Alice A.')`);
    }
  }
  await at(RUN_MS);
  const times = (await tab.evaluate('window.__t')) as { joined: Record<string, number>; left: Record<string, number> };
  seen.joinedAt = times.joined;
  seen.leftAt = times.left;
  abort.abort(); // the signal stops the tap like stop()
  await tap.stop();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await meeting?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function chunksOf(n: number): TapChunk[] {
  return seen.chunks.filter((c) => c.participantId === id(n));
}

/** Participant n's clip's cycle start (epoch ms) as sampled nearest to `epoch`. */
function anchorAt(n: number, epoch: number): number {
  let best = { at: -Infinity, anchor: NaN };
  for (const a of seen.cycleAnchors[id(n)] ?? []) if (Math.abs(a.at - epoch) < Math.abs(best.at - epoch)) best = a;
  return best.anchor;
}

/** RMS per 100 ms window with the window's cycle phase (seconds into the 18 s cycle). */
function windows(n: number): Array<{ phase: number; rms: number }> {
  const out: Array<{ phase: number; rms: number }> = [];
  for (const c of chunksOf(n)) {
    for (let s = 0; s + 1600 <= c.pcm.length / 2; s += 1600) {
      const epoch = seen.captureStartedAtMs + c.startMs + (s + 800) / 16;
      const phase = ((((epoch - anchorAt(n, epoch)) / 1000) % manifest.cycleSeconds) + manifest.cycleSeconds) % manifest.cycleSeconds;
      out.push({ phase, rms: pcmRms(c.pcm, s, s + 1600) });
    }
  }
  return out;
}

const speech = (n: number): { start: number; end: number } => {
  const p = manifest.participants.find((x) => x.index === n)!;
  return { start: p.speechStartSeconds, end: p.speechEndSeconds };
};
const within = (phase: number, r: { start: number; end: number }, margin: number): boolean =>
  phase >= r.start - margin && phase <= r.end + margin;

describe('audio tap on the synthetic meeting', () => {
  it('taps the three visible participants, never the hidden one', () => {
    const joined = seen.participants
      .filter((p) => p.state === 'joined')
      .map((p) => p.id)
      .sort();
    expect(joined).toEqual([id(1), id(2), id(3)]);
    expect(seen.chunks.some((c) => c.participantId === id(4))).toBe(false);
    expect(seen.participants.some((p) => p.id === id(4))).toBe(false);
    expect(seen.warnings).toEqual([]);
    expect(seen.ended).toEqual(['aborted']);
    for (const n of [1, 2, 3]) expect(seen.cycleAnchors[id(n)]?.length ?? 0).toBeGreaterThan(5);
  });

  it('puts speech energy in each participant’s own slots and near-silence in the others’', () => {
    const report: Record<number, unknown> = {};
    for (const n of [1, 2, 3]) {
      const ws = windows(n);
      const own = ws.filter((w) => within(w.phase, { start: speech(n).start + 0.2, end: speech(n).end - 0.2 }, 0));
      const others = ws.filter((w) => [1, 2, 3].filter((m) => m !== n).some((m) => within(w.phase, speech(m), 0)));
      const loud = ws.filter((w) => w.rms > 300);
      const attributed = loud.filter((w) => within(w.phase, speech(n), 0.3)).length / Math.max(1, loud.length);
      const ownMean = own.reduce((a, w) => a + w.rms, 0) / Math.max(1, own.length);
      const otherMax = Math.max(0, ...others.map((w) => w.rms));
      report[n] = { own: own.length, others: others.length, ownMean: Math.round(ownMean), otherMax: Math.round(otherMax), attributed };
      expect(own.length, `participant ${n} own windows`).toBeGreaterThan(20);
      expect(others.length, `participant ${n} other windows`).toBeGreaterThan(20);
      expect(ownMean, `participant ${n}`).toBeGreaterThan(1000);
      expect(otherMax, `participant ${n}`).toBeLessThan(100);
      expect(attributed, `participant ${n}`).toBeGreaterThanOrEqual(0.95);
    }
    console.log('audio tap energy', JSON.stringify(report));
  });

  it('stamps speech onsets where the clips put them (timestamps good for captions)', () => {
    const onsets = new Map<string, number>(); // participant:cycle → earliest loud 10 ms block − known speech start (s)
    for (const n of [1, 2, 3]) {
      for (const c of chunksOf(n)) {
        for (let s = 0; s + 160 <= c.pcm.length / 2; s += 160) {
          if (pcmRms(c.pcm, s, s + 160) < 300) continue;
          const epoch = seen.captureStartedAtMs + c.startMs + s / 16;
          const t = (epoch - anchorAt(n, epoch)) / 1000;
          const cycle = Math.floor(t / manifest.cycleSeconds);
          const d = t - cycle * manifest.cycleSeconds - speech(n).start;
          const key = `${n}:${cycle}`;
          if (Math.abs(d) < 0.5 && !onsets.has(key)) onsets.set(key, d);
        }
      }
    }
    const offsets = [...onsets.values()];
    console.log('speech onset offsets (s)', [...onsets].map(([k, o]) => `${k}=${o.toFixed(3)}`).join(' '));
    expect(offsets.length).toBeGreaterThanOrEqual(3);
    // Measured 0.05–0.08 s on a quiet machine; a loaded one adds scheduling jitter. Captions need ≤ 0.5 s.
    for (const o of offsets) expect(Math.abs(o)).toBeLessThan(0.3);
  });

  it('keeps each participant’s chunks monotonic and continuous, with gaps only while muted or absent', () => {
    for (const n of [1, 2, 3]) {
      const cs = chunksOf(n);
      expect(cs.length).toBeGreaterThan(10);
      for (let i = 1; i < cs.length; i++) {
        const prev = cs[i - 1]!;
        const c = cs[i]!;
        expect(c.startMs).toBeGreaterThanOrEqual(prev.endMs);
        if (!c.discontinuity) expect(c.startMs).toBe(prev.endMs);
        expect(c.endMs - c.startMs).toBeCloseTo(c.pcm.length / 2 / 16, 6);
      }
      const allGaps = cs.slice(1).filter((c, i) => c.startMs - cs[i]!.endMs > 50);
      // A stream's first second may have one short hiccup, flagged as a discontinuity: 64 ms at 0.5 s in 2 of 7
      // runs while the sound server's sink still started in a 2 s block, none in 8 runs since (docs/audio-tap.md).
      // The allowance stays as a margin; anything else is a gap.
      const hiccups = allGaps.filter(
        (c) => c.discontinuity && c.startMs - cs[0]!.startMs < 1_000 && c.startMs - cs[cs.indexOf(c) - 1]!.endMs < 100,
      );
      expect(hiccups.length, `participant ${n} start-up hiccups`).toBeLessThanOrEqual(1);
      const gaps = allGaps.filter((c) => !hiccups.includes(c));
      if (n === 1) {
        // one gap: the mute, about as long as it lasted
        expect(gaps).toHaveLength(1);
        const gapStart = cs[cs.indexOf(gaps[0]!) - 1]!.endMs;
        expect(Math.abs(gapStart - seen.muteAt)).toBeLessThan(400);
        expect(Math.abs(gaps[0]!.startMs - seen.unmuteAt)).toBeLessThan(400);
      } else {
        expect(gaps).toHaveLength(0);
      }
    }
  });

  it('starts a late joiner at its join and ends a leaver’s stream when it leaves', () => {
    const toTimeline = (epoch: number | undefined): number => (epoch ?? NaN) - seen.captureStartedAtMs;
    const p3 = chunksOf(3);
    expect(Math.abs(p3[0]!.startMs - toTimeline(seen.joinedAt[id(3)]))).toBeLessThan(300);
    const p2 = chunksOf(2);
    const left = toTimeline(seen.leftAt[id(2)]);
    expect(Math.abs(p2[p2.length - 1]!.endMs - left)).toBeLessThan(300);
    // 'left' comes after the last chunk: the stream has ended
    const leftEvent = seen.participants.find((p) => p.id === id(2) && p.state === 'left')!;
    expect(leftEvent.atMs).toBeGreaterThanOrEqual(p2[p2.length - 1]!.endMs - 300);
    expect(seen.chunks.indexOf(p2[p2.length - 1]!)).toBeLessThan(seen.chunks.length);
    // everyone's stream ended by the stop
    for (const n of [1, 3]) expect(seen.participants.some((p) => p.id === id(n) && p.state === 'left')).toBe(true);
  });

  it('follows a rename', () => {
    expect(seen.participants).toContainEqual(expect.objectContaining({ id: id(1), name: 'Alice A.', state: 'renamed' }));
    expect(chunksOf(1).at(-1)!.name).toBe('Alice A.');
  });

  it('writes a participant’s PCM as a 16 kHz mono s16 WAV', async () => {
    const pcm = Buffer.concat(chunksOf(1).map((c) => c.pcm));
    const file = join(workDir, 'participant-1.wav');
    await writeFile(file, Buffer.concat([wavHeader(pcm.length), pcm]));
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
    const stream = (JSON.parse(probe.stdout) as { streams: Array<Record<string, unknown>> }).streams[0]!;
    expect(stream).toMatchObject({ codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 });
    expect(Number(stream['duration'])).toBeCloseTo(pcm.length / 32_000, 2);
  });
});
