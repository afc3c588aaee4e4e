/**
 * npm run bench:capture — 60 s of the 3-participant synthetic meeting at 720p30, recorded by Scriba's
 * pipeline and by a Jibri-style pipeline on the same page, one after the other on this machine. Writes
 * bench/results/capture.json. CPU and memory cover every process the recording starts (Chromium and its
 * children, ffmpeg, Xvfb, PulseAudio), read from /proc; the synthetic meeting's HTTP server (in this process)
 * is not counted.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBrowser } from '../src/browser/launch.ts';
import { buildMeetingUrl, parseMeetingUrl } from '../src/browser/meeting-url.ts';
import { MeetingPage } from '../src/browser/meeting-page.ts';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import { sessionDirs } from '../src/capture/session-env.ts';
import { loadConfig } from '../src/config/config.ts';
import { startDemoMeeting, syncTileRect } from '../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia, startFfmpeg } from '../src/ffmpeg/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { createRecorder } from '../workers/recorder.ts';
import { beepPulses, flashPulses, measureOffset, type AvOffset } from './lib/av-sync.ts';
import { monoPcm, regionLuma, streamStarts } from './lib/extract.ts';
import { BASELINE_SIZE, jibriFileCommand } from './lib/jibri-baseline.ts';
import { ProcSampler, type TreeUsage } from './lib/proc-sampler.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const root = mkdtempSync(`${tmpdir()}/scriba-bench-`);

interface PipelineResult {
  readonly description: string;
  readonly cpuCores: number;
  readonly cpuCoresByProcess: Record<string, number>;
  readonly fps: number;
  readonly droppedFrames: number;
  readonly duplicatedFrames: number;
  readonly avOffsetMs: number | null;
  readonly avSync: AvOffset;
  readonly peakPssMb: number;
  readonly durationSec: number;
  readonly width: number;
  readonly height: number;
  readonly fileSizeMb: number;
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
): Promise<PipelineResult> {
  const media = await probeMedia(path);
  const fps = media.video?.avgFps ?? 0;
  const rect = syncTileRect(viewport);
  const starts = await streamStarts(path);
  const luma = await regionLuma(path, { x: rect.x, y: rect.y, w: rect.width, h: rect.height });
  const flashes = flashPulses(luma, fps || 30).map((p) => ({ ...p, t: p.t + starts.video }));
  const beeps = beepPulses(await monoPcm(path), 48_000).map((p) => ({ ...p, t: p.t + starts.audio }));
  const avSync = measureOffset(flashes, beeps);
  return {
    description,
    cpuCores: usage.cpuCores,
    cpuCoresByProcess: usage.cpuCoresByProcess,
    fps: Math.round(fps * 100) / 100,
    droppedFrames: progress?.drop ?? 0,
    duplicatedFrames: progress?.dup ?? 0,
    avOffsetMs: avSync.offsetMs,
    avSync,
    peakPssMb: usage.peakPssMb,
    durationSec: media.durationSec,
    width: media.video?.width ?? 0,
    height: media.video?.height ?? 0,
    fileSizeMb: Math.round((media.sizeBytes / 1024 / 1024) * 10) / 10,
  };
}

async function runScriba(meetingUrl: string): Promise<PipelineResult> {
  const config = loadConfig({
    overrides: { recordingsDir: `${root}/scriba`, workDir: `${root}/work`, logLevel: 'warn', checks: { maxDurationSec: SECONDS } },
  });
  const logger = createLogger({ level: 'warn' });
  const session = createRecorder(config, logger).createSession({
    sessionId: 'bench-scriba',
    target: parseMeetingUrl(meetingUrl, true),
    login: null,
    roomPassword: null,
    resolution: '720p',
    maxDurationSec: SECONDS,
    recordFile: true,
    stream: null,
    fileRecordingMetadata: {},
    transcription: null,
  });
  let last: FrameCounters | null = null;
  const sampler = new ProcSampler();
  session.on('state', (s) => {
    if (s.status === 'running') sampler.start();
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
    `Scriba: Chromium on a private Xvfb 1280x720, PulseAudio null sink, ffmpeg x11grab+pulse, libx264 ${config.capture.videoPreset} crf ${config.capture.videoCrf}, fragmented MP4 then remux`,
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
    );
  } finally {
    await browser.close();
    await prepared.close();
  }
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000);

async function main(): Promise<void> {
  const meeting = await startDemoMeeting({ port: 0 });
  try {
    const url = `${meeting.url}/bench?participants=3`;
    process.stderr.write(`bench: Scriba pipeline, ${SECONDS} s…\n`);
    const ours = await runScriba(url);
    if (process.env['BENCH_SKIP_BASELINE'] === '1') {
      process.stdout.write(
        `${JSON.stringify({ cpuCores: ours.cpuCores, byProcess: ours.cpuCoresByProcess, peakPssMb: ours.peakPssMb, fps: ours.fps, avSync: ours.avSync, dup: ours.duplicatedFrames, drop: ours.droppedFrames })}\n`,
      );
      return;
    }
    process.stderr.write(`bench: Jibri-style baseline, ${SECONDS} s…\n`);
    const baseline = await runBaseline(url);
    const report = {
      benchmark: 'capture',
      measured: `${SECONDS} s recording of the 3-participant synthetic meeting (VP8 tiles + sync tile), 720p30 ours vs Jibri-style 1080p30 baseline, sequentially on the same machine`,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      date: new Date().toISOString(),
      definitions: {
        cpuCores:
          'CPU seconds of every process the recording started (Chromium and children, ffmpeg, Xvfb, PulseAudio) from /proc/<pid>/stat, divided by wall seconds; 1.0 = one core busy',
        fps: 'video packets / video duration of the output file (ffprobe)',
        droppedFrames:
          "ffmpeg's drop= counter at the end (frames discarded to keep constant frame rate, includes x11grab's start-up catch-up)",
        duplicatedFrames: "ffmpeg's dup= counter at the end (frames repeated because capture fell behind)",
        avOffsetMs: 'median of (beep onset − flash onset) over the sync tile in the output file; positive = audio late',
        peakPssMb: 'peak of the summed PSS of those processes (smaps_rollup), sampled every second',
      },
      ...ours,
      baseline,
      ratio: {
        cpuCores: ratio(ours.cpuCores, baseline.cpuCores),
        peakPssMb: ratio(ours.peakPssMb, baseline.peakPssMb),
        fps: ratio(ours.fps, baseline.fps),
      },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/capture.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `${JSON.stringify({ cpuCores: ours.cpuCores, fps: ours.fps, avOffsetMs: ours.avOffsetMs, peakPssMb: ours.peakPssMb, baseline: { cpuCores: baseline.cpuCores, fps: baseline.fps, avOffsetMs: baseline.avOffsetMs, peakPssMb: baseline.peakPssMb }, ratio: report.ratio })}\n`,
    );
  } finally {
    await meeting.close();
  }
}

await main();
