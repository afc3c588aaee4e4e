/**
 * npm run bench:density — 1, then 2, then 3 concurrent recordings of the camera-like synthetic meeting on this
 * machine (each its own room, started together), BENCH_SECONDS (default 60) each. Per session: frame rate of
 * the file, ffmpeg's dup/drop counters, A/V offset from the sync tile, CPU and peak PSS of the processes that
 * session started; and whether the worker's admission (src/domain/admission.ts, a budget of 90 % of the
 * cores) would have let the last one in. Writes bench/results/density.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseMeetingUrl } from '../src/domain/meeting-target.ts';
import { canAdmit, DEFAULT_ADMISSION_COSTS, jobCost } from '../src/domain/admission.ts';
import { admitsJob } from '../src/jobs/worker-loop.ts';
import { startDemoMeeting } from '../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia } from '../src/ffmpeg/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { createRecorder } from '../workers/recorder.ts';
import { benchConfig } from './lib/bench-config.ts';
import { ProcSampler } from './lib/proc-sampler.ts';
import { addPss, NO_PSS, PSS_SPLIT_DEFINITION, type Pss, type PssSplitMb, pssSplitMb } from './lib/pss.ts';
import { SLIDING_SYNC_RATE, syncTileOffset } from './lib/sync-tile.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);

interface SessionFigures {
  readonly fps: number;
  readonly dup: number;
  readonly drop: number;
  readonly dupDropPercent: number;
  readonly avOffsetMs: number | null;
  readonly cpuCores: number;
  readonly peakPssMb: number;
  readonly peakPssSplitMb: PssSplitMb;
  readonly durationSec: number;
}

interface RoundFigures {
  readonly sessions: SessionFigures[];
  /** Peak over the round of all its sessions' PSS summed at the same moment: what the machine held. */
  readonly peakPss: Pss;
}

async function runConcurrent(meetingBase: string, count: number): Promise<RoundFigures> {
  const { config } = benchConfig(`density-${count}`, { checks: { maxDurationSec: SECONDS } });
  const logger = createLogger({ level: 'warn' });
  const recorder = createRecorder(config, logger);
  const sessions = Array.from({ length: count }, (_, i) =>
    recorder.createSession({
      sessionId: `density-${count}-${i + 1}`,
      target: parseMeetingUrl(`${meetingBase}/density-${count}-${i + 1}?participants=3&content=camera&syncRate=${SLIDING_SYNC_RATE}`, true),
      login: null,
      roomPassword: null,
      resolution: '720p',
      maxDurationSec: SECONDS,
      outputs: [{ kind: 'file', resolution: '720p' }],
      fileRecordingMetadata: {},
    }),
  );
  // Each session's processes, sampled together each second so that the round's sum is of one moment.
  const samplers = sessions.map((s) => new ProcSampler(process.pid, { roots: () => s.pids() }));
  const counters = sessions.map(() => ({ dup: 0, drop: 0 }));
  let running = 0;
  let timer: NodeJS.Timeout | null = null;
  let roundPeak = NO_PSS;
  const sampleAll = () => {
    const now = samplers.reduce((sum, sm) => addPss(sum, sm.sample()), NO_PSS);
    if (now.totalKb > roundPeak.totalKb) roundPeak = now;
  };
  sessions.forEach((s, i) => {
    s.on('progress', (p) => {
      counters[i] = { dup: p.dup, drop: p.drop };
    });
    s.on('state', (st) => {
      // Measure while all of them capture: start sampling once the last one is running.
      if (st.status === 'running' && ++running === count) {
        for (const sm of samplers) sm.start(null);
        timer = setInterval(sampleAll, 1000);
      }
    });
  });
  const results = await Promise.all(sessions.map((s) => s.run()));
  if (timer) clearInterval(timer);
  // Stopped before the files are analysed below, so that the time the analysis takes does not dilute the cores.
  const usages = samplers.map((sm) => sm.stop());
  const out: SessionFigures[] = [];
  for (const [i, result] of results.entries()) {
    if (!result.file) throw new Error(`session ${i + 1} of ${count} failed: ${result.failure?.message}`);
    const media = await probeMedia(result.file.path);
    const fps = media.video?.avgFps ?? 0;
    const sync = await syncTileOffset(result.file.path, { width: 1280, height: 720 }, 0.5);
    const frames = Math.max(1, Math.round(media.durationSec * 30));
    const { dup, drop } = counters[i]!;
    out.push({
      fps: Math.round(fps * 100) / 100,
      dup,
      drop,
      dupDropPercent: Math.round(((dup + drop) / frames) * 10000) / 100,
      avOffsetMs: sync.offsetMs,
      cpuCores: usages[i]!.cpuCores,
      peakPssMb: usages[i]!.peakPssMb,
      peakPssSplitMb: usages[i]!.peakPssSplitMb,
      durationSec: media.durationSec,
    });
  }
  return { sessions: out, peakPss: roundPeak };
}

async function main(): Promise<void> {
  await import('../src/demo-meeting/fixtures.ts').then((m) => m.ensureFixtures());
  const meeting = await startDemoMeeting({ port: 0 });
  const budgetCores = Math.round(cpus().length * 0.9 * 100) / 100;
  const price = jobCost(['file'], DEFAULT_ADMISSION_COSTS);
  const dearest = Math.max(...Object.values(DEFAULT_ADMISSION_COSTS.baseCost));
  const rounds: Record<string, unknown>[] = [];
  try {
    for (const count of [1, 2, 3]) {
      process.stderr.write(`bench: ${count} concurrent session(s), ${SECONDS} s…\n`);
      const round = await runConcurrent(meeting.url, count);
      const sessions = round.sessions;
      const running = Array.from({ length: count - 1 }, () => price);
      rounds.push({
        sessions: count,
        perSession: sessions,
        totalCpuCores: Math.round(sessions.reduce((a, s) => a + s.cpuCores, 0) * 1000) / 1000,
        totalPeakPssMb: Math.round(round.peakPss.totalKb / 1024),
        totalPeakPssSplitMb: pssSplitMb(round.peakPss),
        admissionWouldAdmitLast: canAdmit(running, price, { cores: budgetCores }),
        // The worker loop prices the job it would claim next (here a file session), like admission.
        workerLoopWouldClaimLast: admitsJob(running, ['file'], { cores: budgetCores, ...DEFAULT_ADMISSION_COSTS }),
        loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      });
    }
  } finally {
    await meeting.close();
  }
  const report = {
    benchmark: 'density',
    measured: `1, 2 and 3 concurrent ${SECONDS} s recordings (720p30, camera-like 3-participant meeting), each round after the previous`,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    date: new Date().toISOString(),
    admission: { budgetCores, pricePerFileSession: price, dearestBaseCost: dearest },
    definitions: {
      fps: 'video packets / video duration of the file (ffprobe)',
      dupDropPercent: "(ffmpeg's dup= + drop=) / frames of the file",
      avOffsetMs: `median (beep onset − flash onset) of the sync tile, its clip played at ${SLIDING_SYNC_RATE}× (syncRate) so that its pulses slide across the 30 fps grabs and the median averages their phase; each frame at its own presentation time; positive = audio late`,
      cpuCores:
        "CPU seconds of that session's processes (Chromium and children, ffmpeg, Xvfb, PulseAudio) / wall seconds, from when all sessions of the round capture until all have finished (their files finalized), as bench:capture counts",
      peakPssMb: "peak summed PSS of that session's processes",
      peakPssSplitMb: PSS_SPLIT_DEFINITION,
      totalPeakPssMb:
        "peak over the round of every session's processes' PSS summed at the same moment (sampled every second): the memory those sessions held together; one round minus the one before is what one more session added",
      admissionWouldAdmitLast: 'canAdmit(price × (n − 1) running, price, budget): does the last file session fit the budget',
      workerLoopWouldClaimLast: "admitsJob(price × (n − 1) running, ['file'], budget): the worker loop prices the job it would claim next",
    },
    rounds,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/density.json', `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(rounds)}\n`);
}

await main();
