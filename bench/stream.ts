/**
 * npm run bench:stream — the cost and the delay of live streaming. The 2-participant synthetic meeting at
 * 720p30 is recorded three times, one after the other on this machine: to a file only; to a file and an RTMP
 * stream sharing one encode (the default, stream.shareEncode); to a file and a stream with one encode each.
 * The RTMP server is a private nginx-rtmp on 127.0.0.1 (test/helpers/nginx-rtmp.ts). Writes
 * bench/results/stream.json.
 *
 * CPU counts every process the recording starts (Chromium and its children, Xvfb, PulseAudio, the capture
 * ffmpeg, the RTMP relay ffmpeg) from /proc, plus this Node process itself (it runs the session, reads the
 * stream leg and feeds the relay; it also serves the synthetic meeting, equally in every run). Not counted:
 * nginx (the server) and the viewer ffmpeg used for the delay measurement.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/config.ts';
import { parseMeetingUrl } from '../src/domain/meeting-target.ts';
import { startDemoMeeting, syncTileRect } from '../src/demo-meeting/demo-meeting-server.ts';
import { createLogger } from '../src/log/logger.ts';
import type { SessionResult, StreamStatus } from '../src/session/session-types.ts';
import { startNginxRtmp, type NginxRtmp } from '../test/helpers/nginx-rtmp.ts';
import { createRecorder } from '../workers/recorder.ts';
import { measureOffset } from './lib/av-sync.ts';
import {
  installFrameClock,
  pagePulses,
  pairedDelaysMs,
  readerPulses,
  readFrameClock,
  startStreamReader,
  type StreamReader,
} from './lib/glass-to-glass.ts';
import { ProcSampler, type TreeUsage } from './lib/proc-sampler.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 40);
const SKIP_TWO_ENCODES = process.env['BENCH_SKIP_TWO_ENCODES'] === '1';
const KEY = 'bench-stream-key';

interface RunResult {
  readonly description: string;
  readonly cpuCores: number;
  readonly cpuCoresByProcess: Record<string, number>;
  readonly peakPssMb: number;
  readonly wallSec: number;
  readonly dupFrames: number;
  readonly dropFrames: number;
  readonly stream: SessionResult['stream'];
  readonly glassToGlass?: GlassToGlass;
}

interface GlassToGlass {
  readonly alignment: 'cycle marker' | 'nearest later flash';
  readonly medianMs: number | null;
  readonly p10Ms: number | null;
  readonly p90Ms: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  readonly pairs: number;
  readonly pageFlashes: number;
  readonly viewerFlashes: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Tells the capture ffmpeg from the RTMP relay in the per-process CPU. */
function ffmpegRole(pid: number, comm: string): string {
  if (comm !== 'ffmpeg') return comm;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('x11grab') ? 'ffmpeg (capture)' : argv.includes('pipe:0') ? 'ffmpeg (RTMP relay)' : comm;
  } catch {
    return comm;
  }
}

async function runOnce(meetingUrl: string, nginx: NginxRtmp, mode: 'file' | 'shared' | 'two-encodes'): Promise<RunResult> {
  const config = loadConfig({
    overrides: {
      logLevel: 'warn',
      recordingsDir: `${process.env['TMPDIR'] ?? '/tmp'}/scriba-bench-stream`,
      stream: { shareEncode: mode !== 'two-encodes' },
    },
  });
  const session = createRecorder(config, createLogger({ level: 'warn' })).createSession({
    sessionId: `bench-stream-${mode}`,
    target: parseMeetingUrl(meetingUrl, true),
    login: null,
    roomPassword: null,
    resolution: '720p',
    maxDurationSec: SECONDS + 60, // stopped by us below, after SECONDS of sampling
    outputs: [
      { kind: 'file', resolution: '720p' },
      ...(mode === 'file' ? [] : [{ kind: 'stream' as const, url: nginx.url(KEY), youtubeBroadcastId: null }]),
    ],
    fileRecordingMetadata: {},
  });
  let reader: StreamReader | null = null;
  const sampler = new ProcSampler(process.pid, { exclude: () => [nginx.pid, reader?.pid], label: ffmpegRole });
  let last = { dup: 0, drop: 0 };
  session.on('progress', (p) => (last = { dup: p.dup, drop: p.drop }));
  const connected = new Promise<void>((resolve) => session.on('stream', (s: StreamStatus) => s.status === 'connected' && resolve()));
  const running = new Promise<void>((resolve) => session.on('state', (s) => s.status === 'running' && resolve()));
  const run = session.run();
  await Promise.race([running, run]);
  const origin = Date.now();
  if (mode !== 'file') await Promise.race([connected, sleep(15_000)]);
  // The page-side clock runs in every run (it costs the renderer a little), the viewer only where it is used.
  const page = session.inspectPage();
  if (!page || !(await installFrameClock(page))) throw new Error('no sync tile to time in the page');
  if (mode === 'shared') reader = startStreamReader(nginx.url(KEY), syncTileRect({ width: 1280, height: 720 }));
  const cpu0 = process.cpuUsage();
  sampler.start();
  await sleep(SECONDS * 1000);
  const usage: TreeUsage = sampler.stop();
  const own = process.cpuUsage(cpu0);
  const nodeCores = (own.user + own.system) / 1e6 / usage.wallSec;
  let glassToGlass: GlassToGlass | undefined;
  if (reader !== null) {
    const stamps = await readFrameClock(session.inspectPage()!);
    const frames = await reader.stop();
    glassToGlass = delays(pagePulses(stamps, origin), readerPulses(frames, origin));
  }
  session.stop('requested');
  const result = await run;
  if (result.status !== 'finished') throw new Error(`session failed: ${result.failure?.message}`);
  const byProcess = { ...usage.cpuCoresByProcess, 'node (this process)': round3(nodeCores) };
  return {
    description:
      mode === 'file'
        ? 'file only (libx264 veryfast crf 23, fragmented MP4)'
        : mode === 'shared'
          ? 'file + RTMP stream, one shared encode (stream profile: veryfast, zerolatency, crf 23 capped at 2976k) through the tee muxer, MPEG-TS leg relayed by a copy-only ffmpeg'
          : 'file + RTMP stream, two encodes in the capture ffmpeg (file profile + stream profile)',
    cpuCores: round3(usage.cpuCores + nodeCores),
    cpuCoresByProcess: byProcess,
    peakPssMb: usage.peakPssMb,
    wallSec: round3(usage.wallSec),
    dupFrames: last.dup,
    dropFrames: last.drop,
    stream: result.stream,
    ...(glassToGlass ? { glassToGlass } : {}),
  };
}

function delays(page: ReturnType<typeof pagePulses>, viewer: ReturnType<typeof readerPulses>): GlassToGlass {
  // Skip the viewer's first seconds: ffmpeg's probe hands over what it buffered meanwhile in one burst.
  const settled = viewer.filter((p) => p.t >= 5);
  // The 18 s cycle's long marker flash aligns the two sides without the 1 s ambiguity; a window without a
  // marker falls back to the nearest later flash (right while the delay is under a second).
  const marker = measureOffset(page, settled).markerOffsetMs;
  const coarseSec = marker !== null ? marker / 1000 : nearestLaterMedianSec(page, settled);
  const list = coarseSec === null ? [] : pairedDelaysMs(page, settled, coarseSec);
  const q = (f: number) => (list.length === 0 ? null : list[Math.min(list.length - 1, Math.floor(f * list.length))]!);
  return {
    alignment: marker !== null ? 'cycle marker' : 'nearest later flash',
    medianMs: q(0.5),
    p10Ms: q(0.1),
    p90Ms: q(0.9),
    minMs: list[0] ?? null,
    maxMs: list.at(-1) ?? null,
    pairs: list.length,
    pageFlashes: page.length,
    viewerFlashes: settled.length,
  };
}

function nearestLaterMedianSec(page: ReturnType<typeof pagePulses>, viewer: ReturnType<typeof readerPulses>): number | null {
  const d: number[] = [];
  for (const p of page) {
    const next = viewer.find((v) => v.t >= p.t);
    if (next !== undefined && next.t - p.t < 1) d.push(next.t - p.t);
  }
  return d.length === 0 ? null : d.sort((a, b) => a - b)[Math.floor(d.length / 2)]!;
}

async function main(): Promise<void> {
  const meeting = await startDemoMeeting({ port: 0 });
  const nginx = await startNginxRtmp();
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    const url = `${meeting.url}/bench-stream?participants=2`;
    process.stderr.write(`bench: file only, ${SECONDS} s…\n`);
    const recordOnly = await runOnce(url, nginx, 'file');
    process.stderr.write(`bench: file + stream (shared encode), ${SECONDS} s…\n`);
    const recordAndStream = await runOnce(url, nginx, 'shared');
    let twoEncodes: RunResult | null = null;
    if (!SKIP_TWO_ENCODES) {
      process.stderr.write(`bench: file + stream (two encodes), ${SECONDS} s…\n`);
      twoEncodes = await runOnce(url, nginx, 'two-encodes');
    }
    const report = {
      benchmark: 'stream',
      measured: `${SECONDS} s of the 2-participant synthetic meeting (VP8 tiles + sync tile) at 720p30 per run, runs one after the other on the same machine; RTMP to a private nginx-rtmp on 127.0.0.1`,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      conditions: {
        loadAverageAtStart: load,
        note: "shared machine: other work (other engineers' tests) may have run at the same time; compare runs of one report, not absolute numbers across reports",
      },
      date: new Date().toISOString(),
      definitions: {
        cpuCores:
          'CPU seconds / wall seconds over the sampled window, of every process the recording started (Chromium and children, Xvfb, PulseAudio, capture ffmpeg, relay ffmpeg; /proc/<pid>/stat) plus this Node process (session, stream-leg reader and relay feeder, synthetic meeting server); not nginx and not the viewer; 1.0 = one core',
        addedCores: 'recordAndStream.cpuCores − recordOnly.cpuCores',
        glassToGlass:
          "wall time from the sync tile's flash being shown in the meeting page (requestVideoFrameCallback expectedDisplayTime, Chromium on Xvfb) to the same flash arriving decoded at a viewer ffmpeg reading rtmp://127.0.0.1/live/… from nginx (-fflags nobuffer -flags low_delay -threads 1, 8x8 thumbnail of the tile per frame); includes x11grab, the x264 zerolatency encode, MPEG-TS through our process, the relay, nginx and the viewer's decode. Median and spread over every flash (one a second) after the first 5 s of viewing",
      },
      recordOnly,
      recordAndStream,
      addedCores: round3(recordAndStream.cpuCores - recordOnly.cpuCores),
      ...(twoEncodes
        ? { recordAndStreamTwoEncodes: twoEncodes, addedCoresTwoEncodes: round3(twoEncodes.cpuCores - recordOnly.cpuCores) }
        : {}),
      glassToGlassMs: recordAndStream.glassToGlass ?? null,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/stream.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `${JSON.stringify({
        recordOnly: recordOnly.cpuCores,
        recordAndStream: recordAndStream.cpuCores,
        addedCores: report.addedCores,
        ...(twoEncodes ? { twoEncodes: twoEncodes.cpuCores, addedCoresTwoEncodes: round3(twoEncodes.cpuCores - recordOnly.cpuCores) } : {}),
        glassToGlassMs: recordAndStream.glassToGlass,
      })}\n`,
    );
  } finally {
    await nginx.close();
    await meeting.close();
  }
}

await main();
