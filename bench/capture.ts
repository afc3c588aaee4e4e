/**
 * npm run bench:capture — 60 s of the 3-participant synthetic meeting at 720p30, with camera-like tiles and
 * with flat ones, recorded by Scriba's pipeline and by a Jibri-style pipeline on the same page, one after the
 * other on this machine; then five consecutive short recordings for the A/V offset. Writes
 * bench/results/capture.json. CPU and memory cover every process the recording starts (Chromium and its
 * children, ffmpeg, Xvfb, PulseAudio), read from /proc; the synthetic meeting's HTTP server (in this process)
 * is not counted.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBrowser } from '../src/browser/launch.ts';
import { buildMeetingUrl } from '../src/browser/meeting-url.ts';
import { parseMeetingUrl } from '../src/domain/meeting-target.ts';
import { MeetingPage } from '../src/browser/meeting-page.ts';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import { sessionDirs } from '../src/capture/session-env.ts';
import { loadConfig } from '../src/config/config.ts';
import { startDemoMeeting, type DemoContent } from '../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia, startFfmpeg } from '../src/ffmpeg/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { createRecorder } from '../workers/recorder.ts';
import type { AvOffset } from './lib/av-sync.ts';
import { SLIDING_SYNC_RATE, streamEnds, syncTileOffset } from './lib/sync-tile.ts';
import { clockAv, clockBeepLateness, clockTileLateness, type ClockAv } from './lib/clock-tile.ts';
import { BASELINE_SIZE, jibriFileCommand } from './lib/jibri-baseline.ts';
import { ProcSampler, type TreeUsage } from './lib/proc-sampler.ts';
import { PSS_SPLIT_DEFINITION, type PssSplitMb } from './lib/pss.ts';
import { machineAtEnd } from './lib/machine.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const root = mkdtempSync(`${tmpdir()}/scriba-bench-`);
let sessionCount = 0;

interface PipelineResult {
  readonly description: string;
  readonly cpuCores: number;
  readonly cpuCoresByProcess: Record<string, number>;
  readonly fps: number;
  readonly droppedFrames: number;
  readonly duplicatedFrames: number;
  readonly avOffsetMs: number | null;
  readonly avSync: AvOffset;
  readonly avEndGapMs: number;
  readonly peakPssMb: number;
  readonly peakPssSplitMb: PssSplitMb;
  readonly durationSec: number;
  readonly width: number;
  readonly height: number;
  readonly fileSizeMb: number;
  /** Where the file's zero is on the wall clock (the video input's first frame). */
  readonly captureStartedAtMs: number;
  readonly path: string;
}

interface FrameCounters {
  readonly dup: number;
  readonly drop: number;
}

async function analyse(
  path: string,
  viewport: { width: number; height: number },
  usage: TreeUsage,
  progress: FrameCounters | null,
  description: string,
  captureStartedAtMs: number,
  syncTile = true,
): Promise<PipelineResult> {
  const media = await probeMedia(path);
  const fps = media.video?.avgFps ?? 0;
  // markerOffsetMs null: no marker, nearest pairs within ±0.5 s. A page without the tile has nothing to read.
  const avSync = syncTile ? await syncTileOffset(path, viewport, 0.5) : NO_SYNC_TILE;
  const ends = await streamEnds(path);
  return {
    description,
    cpuCores: usage.cpuCores,
    cpuCoresByProcess: usage.cpuCoresByProcess,
    fps: Math.round(fps * 100) / 100,
    droppedFrames: progress?.drop ?? 0,
    duplicatedFrames: progress?.dup ?? 0,
    avOffsetMs: avSync.offsetMs,
    avSync,
    avEndGapMs: Math.round((ends.audio - ends.video) * 1000),
    peakPssMb: usage.peakPssMb,
    peakPssSplitMb: usage.peakPssSplitMb,
    durationSec: media.durationSec,
    width: media.video?.width ?? 0,
    height: media.video?.height ?? 0,
    fileSizeMb: Math.round((media.sizeBytes / 1024 / 1024) * 10) / 10,
    captureStartedAtMs,
    path,
  };
}

const NO_SYNC_TILE: AvOffset = { offsetMs: null, markerOffsetMs: null, pairs: 0, flashes: 0, beeps: 0 };

async function runScriba(meetingUrl: string, seconds = SECONDS, syncTile = true): Promise<PipelineResult> {
  const config = loadConfig({
    overrides: { recordingsDir: `${root}/scriba`, workDir: `${root}/work`, logLevel: 'warn', checks: { maxDurationSec: seconds } },
  });
  const logger = createLogger({ level: 'warn' });
  const session = createRecorder(config, logger).createSession({
    sessionId: `bench-scriba-${++sessionCount}`,
    target: parseMeetingUrl(meetingUrl, true),
    login: null,
    roomPassword: null,
    resolution: '720p',
    maxDurationSec: seconds,
    outputs: [{ kind: 'file', resolution: '720p' }],
    fileRecordingMetadata: {},
  });
  let last: FrameCounters | null = null;
  let captureStartedAtMs = 0;
  const sampler = new ProcSampler();
  session.on('state', (s) => {
    if (s.status === 'running') {
      sampler.start();
      captureStartedAtMs = s.captureStartedAtMs;
    }
  });
  session.on('progress', (p) => {
    last = { dup: p.dup, drop: p.drop };
  });
  const result = await session.run();
  const usage = sampler.stop();
  if (!result.file) throw new Error(`Scriba session failed: ${result.failure?.message}`);
  return analyse(
    result.file.path,
    { width: 1280, height: 720 },
    usage,
    last,
    `Scriba: Chromium on a private Xvfb 1280x720, PulseAudio null sink, ffmpeg x11grab+pulse, libx264 ${config.capture.videoPreset} zerolatency crf ${config.capture.videoCrf}, A/V trim ${config.capture.audioOffsetMs} ms, fragmented MP4 then remux`,
    captureStartedAtMs,
    syncTile,
  );
}

async function runBaseline(meetingUrl: string): Promise<PipelineResult> {
  const backend = createX11PulseBackend();
  const workDir = mkdtempSync(`${root}/baseline-`);
  const controller = new AbortController();
  const prepared = await backend.prepare({ ...BASELINE_SIZE, fps: 30, audioOffsetMs: 0 }, workDir, controller.signal);
  const browser = await launchBrowser({
    userDataDir: sessionDirs(workDir).profile,
    ...BASELINE_SIZE,
    headless: false,
    kiosk: true,
    env: prepared.browser.env,
  });
  const out = `${root}/baseline.mp4`;
  try {
    const page = await MeetingPage.create(await browser.firstPage());
    await page.open(
      buildMeetingUrl(parseMeetingUrl(meetingUrl, true), null, { displayName: 'Jibri', email: 'jibri@bench.invalid' }, null),
      {},
    );
    await page.waitForJoin({});
    const display = String(prepared.browser.env['DISPLAY']);
    const pulse = String(prepared.ffmpegInputs[1]?.source);
    const sampler = new ProcSampler();
    sampler.start();
    const ffmpeg = startFfmpeg(jibriFileCommand(display, pulse, out), { env: prepared.ffmpegEnv });
    await sleep(SECONDS * 1000);
    const exit = await ffmpeg.stop();
    const usage = sampler.stop();
    return analyse(
      out,
      BASELINE_SIZE,
      usage,
      exit.lastProgress,
      'Jibri-style: headful Chromium on Xvfb 1920x1080, PulseAudio (Jibri: ALSA loopback), ffmpeg x11grab, libx264 ultrafast crf 25, plain MP4',
      0,
    );
  } finally {
    await browser.close();
    await prepared.close();
  }
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000);

/** Consecutive short recordings of the same meeting: the A/V offset of each (positive = audio late). */
const SYNC_RUNS = Number(process.env['BENCH_SYNC_RUNS'] ?? 5);
const CLOCK_RUNS = Number(process.env['BENCH_CLOCK_RUNS'] ?? SYNC_RUNS);
/** The sync clip's playback rate in those runs (the page's syncRate; 1.001 slides its pulses 40 ms in a run). */
const SYNC_RATE = Number(process.env['BENCH_SYNC_RATE'] ?? SLIDING_SYNC_RATE);
const SYNC_SECONDS = 40; // two of the 18 s cycle's 300 ms markers anchor each measurement

async function compare(meetingUrl: string, content: DemoContent) {
  const url = `${meetingUrl}&content=${content}`;
  process.stderr.write(`bench: ${content} tiles, Scriba pipeline, ${SECONDS} s…\n`);
  const ours = await runScriba(url);
  if (process.env['BENCH_SKIP_BASELINE'] === '1') return { ours, baseline: null, ratio: null };
  process.stderr.write(`bench: ${content} tiles, Jibri-style baseline, ${SECONDS} s…\n`);
  const baseline = await runBaseline(url);
  return {
    ours,
    baseline,
    ratio: {
      cpuCores: ratio(ours.cpuCores, baseline.cpuCores),
      peakPssMb: ratio(ours.peakPssMb, baseline.peakPssMb),
      fps: ratio(ours.fps, baseline.fps),
    },
  };
}

async function main(): Promise<void> {
  const meeting = await startDemoMeeting({ port: 0 });
  try {
    const url = `${meeting.url}/bench?participants=3`;
    // Camera-like tiles first: they are what a real meeting looks like; the flat ones flatter any encoder.
    // BENCH_SYNC_ONLY=1 keeps the comparisons of the last written report and only redoes the offset runs.
    const previous =
      process.env['BENCH_SYNC_ONLY'] === '1'
        ? (JSON.parse(readFileSync('bench/results/capture.json', 'utf8')) as Record<string, Awaited<ReturnType<typeof compare>>>)
        : null;
    const camera = previous?.['camera'] ?? (await compare(url, 'camera'));
    const flat = previous?.['flat'] ?? (await compare(url, 'flat'));
    const syncRuns: (AvOffset & { endGapMs: number })[] = [];
    for (let i = 0; i < SYNC_RUNS; i++) {
      process.stderr.write(`bench: A/V offset run ${i + 1}/${SYNC_RUNS}, ${SYNC_SECONDS} s…\n`);
      const run = await runScriba(`${url}&content=${process.env['BENCH_SYNC_CONTENT'] ?? 'camera'}&syncRate=${SYNC_RATE}`, SYNC_SECONDS);
      syncRuns.push({ ...run.avSync, endGapMs: run.avEndGapMs });
    }
    // The same recordings of the page's wall-clock tile and beep instead of the sync tile: how late the sound
    // and the picture reach the file against the wall clock, without a media element in between
    // (bench/lib/clock-tile.ts).
    const clockRuns: ClockAv[] = [];
    for (let i = 0; i < CLOCK_RUNS; i++) {
      process.stderr.write(`bench: wall-clock A/V run ${i + 1}/${CLOCK_RUNS}, ${SYNC_SECONDS} s…\n`);
      const run = await runScriba(`${url}&content=camera&sync=0&clock=1&clockBeep=1`, SYNC_SECONDS, false);
      clockRuns.push(
        clockAv(
          await clockTileLateness(run.path, { width: 1280, height: 720 }, run.captureStartedAtMs),
          await clockBeepLateness(run.path, run.captureStartedAtMs),
        ),
      );
    }
    const report = {
      benchmark: 'capture',
      measured: `${SECONDS} s recordings of the 3-participant synthetic meeting (three tiles + the sync tile), camera-like and flat tiles, 720p30 ours vs Jibri-style 1080p30 baseline, one after the other on the same machine; then ${SYNC_RUNS} consecutive ${SYNC_SECONDS} s recordings for the A/V offset by the sync tile, and ${CLOCK_RUNS} by the wall-clock tile and beep`,
      machine: machineAtEnd(),
      date: new Date().toISOString(),
      definitions: {
        cpuCores:
          'CPU seconds of every process the recording started (Chromium and children, ffmpeg, Xvfb, PulseAudio) from /proc/<pid>/stat, divided by wall seconds; 1.0 = one core busy',
        fps: 'video packets / video duration of the output file (ffprobe)',
        droppedFrames:
          "ffmpeg's drop= counter at the end (frames discarded to keep constant frame rate, includes x11grab's start-up catch-up)",
        duplicatedFrames: "ffmpeg's dup= counter at the end (frames repeated because capture fell behind)",
        avOffsetMs: 'median of (beep onset − flash onset) over the sync tile in the output file; positive = audio late',
        avOffsetRuns: `the same for ${SYNC_SECONDS} s recordings with the sync clip played at ${SYNC_RATE}× (syncRate), its pulses sliding across the 30 fps grabs so that each run averages their phase`,
        avEndGapMs: 'where the audio track ends minus where the video track ends (ffprobe start_time + duration)',
        peakPssMb: 'peak of the summed PSS of those processes (smaps_rollup), sampled every second',
        peakPssSplitMb: PSS_SPLIT_DEFINITION,
        clockAvRuns:
          'recordings of the wall-clock tile and beep (clock=1&clockBeep=1, no sync tile): videoLateMs and audioLateMs are the medians of how long after each second’s mark (clockMarkMs) the flash and the beep appear in the file (placed on the wall clock by captureStartedAtMs); offsetMs = audio − video (positive = audio late). The beep is scheduled on Chromium’s audio output timestamp, so audioLateMs is the sound path’s lateness; the flash is a page element repainted each animation frame, so videoLateMs includes the page’s own rendering and offsetMs is not a recording’s A/V offset (docs/capture.md)',
      },
      camera,
      flat,
      syncRate: SYNC_RATE,
      avOffsetRunsMs: syncRuns.map((r) => r.offsetMs),
      avOffsetRuns: syncRuns,
      clockAvRunsMs: clockRuns.map((r) => r.offsetMs),
      clockAvRuns: clockRuns,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/capture.json', `${JSON.stringify(report, null, 2)}\n`);
    const brief = (r: PipelineResult | null) =>
      r === null
        ? null
        : {
            cpuCores: r.cpuCores,
            fps: r.fps,
            avOffsetMs: r.avOffsetMs,
            peakPssMb: r.peakPssMb,
            peakPssSplitMb: r.peakPssSplitMb,
            dup: r.duplicatedFrames,
            drop: r.droppedFrames,
          };
    process.stdout.write(
      `${JSON.stringify({ camera: { ours: brief(camera.ours), baseline: brief(camera.baseline), ratio: camera.ratio }, flat: { ours: brief(flat.ours), baseline: brief(flat.baseline), ratio: flat.ratio }, avOffsetRunsMs: report.avOffsetRunsMs, clockAvRuns: clockRuns })}\n`,
    );
  } finally {
    await meeting.close();
  }
}

await main();
