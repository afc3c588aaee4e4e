/**
 * npm run bench:encoder — is the cheaper encode as good? Captures BENCH_SECONDS (default 10) of the camera-like
 * synthetic meeting losslessly from the session's own display (x11grab, exactly what the recording sees),
 * then encodes the same frames with the former file settings (libx264 veryfast crf 23) and with candidates,
 * and reports for each: the encoder's CPU (ffmpeg's own utime+stime, colour conversion included; median of
 * BENCH_REPEATS rounds, default 3), bitrate, and SSIM and PSNR against the captured frames, against the former
 * settings' output and against ultrafast crf 26 before its tuning (ffmpeg's ssim and psnr filters). Writes bench/results/encoder.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBrowser } from '../src/browser/launch.ts';
import { sessionDirs } from '../src/capture/session-env.ts';
import { createX11PulseBackend } from '../src/capture/x11-pulse-backend.ts';
import { ensureFixtures } from '../src/demo-meeting/fixtures.ts';
import { startDemoMeeting, type DemoContent } from '../src/demo-meeting/demo-meeting-server.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
/** Encodes of each setting; the median CPU is reported. */
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 3);
const root = mkdtempSync(`${tmpdir()}/scriba-bench-encoder-`);

/** ultrafast zerolatency crf 26: the file encode chosen here, before its colour conversion and threading were tuned. */
const ULTRAFAST_26 = ['-preset', 'ultrafast', '-tune', 'zerolatency', '-crf', '26'];

/** The x264 options that differ between settings (the rest is the recording's: yuv420p, 2 s GOP, cfr). */
const SETTINGS: Record<string, readonly string[]> = {
  'former: veryfast crf 23': ['-preset', 'veryfast', '-crf', '23'],
  'veryfast zerolatency crf 23': ['-preset', 'veryfast', '-tune', 'zerolatency', '-crf', '23'],
  'veryfast zerolatency crf 28': ['-preset', 'veryfast', '-tune', 'zerolatency', '-crf', '28'],
  'superfast zerolatency crf 28': ['-preset', 'superfast', '-tune', 'zerolatency', '-crf', '28'],
  'new: ultrafast zerolatency crf 26': ULTRAFAST_26,
  'ultrafast zerolatency crf 28': ['-preset', 'ultrafast', '-tune', 'zerolatency', '-crf', '28'],
  // Cheaper paths to the same encode: the colour conversion's filter, and x264's threading.
  'new, sws fast_bilinear': [...ULTRAFAST_26, '-sws_flags', 'fast_bilinear'],
  'new, sws neighbor': [...ULTRAFAST_26, '-sws_flags', 'neighbor'],
  'new, 1 thread': [...ULTRAFAST_26, '-threads', '1'],
  'new, 2 threads': [...ULTRAFAST_26, '-threads', '2'],
  'new, sws neighbor, 1 thread': [...ULTRAFAST_26, '-sws_flags', 'neighbor', '-threads', '1'],
  'new, sws neighbor, 1 thread, 1 filter thread': [...ULTRAFAST_26, '-sws_flags', 'neighbor', '-threads', '1', '-filter_threads', '1'],
};
/**
 * The reference for the tuning rows: ultrafast crf 26 with swscale's default chroma filter and x264's own
 * threads, as the recording encoded before. Every other encode is also compared with this one's.
 */
const CURRENT = 'new: ultrafast zerolatency crf 26';

function ffmpeg(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`))));
  });
}

async function captureReference(content: DemoContent, rawPath: string): Promise<void> {
  await ensureFixtures();
  const meeting = await startDemoMeeting({ port: 0 });
  const workDir = mkdtempSync(`${root}/session-`);
  const prepared = await createX11PulseBackend().prepare(
    { width: 1280, height: 720, fps: 30, audioOffsetMs: 0 },
    workDir,
    new AbortController().signal,
  );
  const browser = await launchBrowser({
    userDataDir: sessionDirs(workDir).profile,
    width: 1280,
    height: 720,
    headless: false,
    kiosk: true,
    env: prepared.browser.env,
  });
  try {
    const page = await browser.firstPage();
    await page.goto(`${meeting.url}/encoder?participants=3&content=${content}`);
    await sleep(3000);
    const grab = prepared.ffmpegInputs[0]!;
    // Raw bgr0 as x11grab delivers it: the encodes then pay for the same colour conversion as the recording.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-y',
          ...grab.options,
          '-i',
          grab.source,
          '-t',
          String(SECONDS),
          '-f',
          'rawvideo',
          rawPath,
        ],
        { env: prepared.ffmpegEnv, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`reference capture exited ${code}`))));
    });
  } finally {
    await browser.close();
    await prepared.close();
    await meeting.close();
  }
}

const rawInput = (raw: string) => ['-f', 'rawvideo', '-pix_fmt', 'bgr0', '-video_size', '1280x720', '-framerate', '30', '-i', raw];

async function quality(a: string, bInput: readonly string[]): Promise<{ ssim: number | null; psnrDb: number | null }> {
  const log = await ffmpeg([
    '-i',
    a,
    ...bInput,
    '-lavfi',
    '[0:v]format=yuv420p,split[a0][a1];[1:v]format=yuv420p,split[b0][b1];[a0][b0]ssim;[a1][b1]psnr',
    '-f',
    'null',
    '-',
  ]);
  const ssim = /SSIM .*All:([0-9.]+)/.exec(log)?.[1];
  const psnr = /PSNR .*average:([0-9.]+|inf)/.exec(log)?.[1];
  return { ssim: ssim ? Number(ssim) : null, psnrDb: psnr && psnr !== 'inf' ? Number(psnr) : null };
}

/** One encode of the raw frames with the recording's fixed options plus `options`; ffmpeg's CPU seconds. */
async function encode(raw: string, options: readonly string[], out: string): Promise<number | null> {
  const log = await ffmpeg([
    '-benchmark',
    ...rawInput(raw),
    '-c:v',
    'libx264',
    ...options,
    '-pix_fmt',
    'yuv420p',
    '-g',
    '60',
    '-keyint_min',
    '60',
    '-sc_threshold',
    '0',
    '-r',
    '30',
    '-fps_mode',
    'cfr',
    out,
  ]);
  const m = /bench: utime=([0-9.]+)s stime=([0-9.]+)s/.exec(log);
  return m ? Number(m[1]) + Number(m[2]) : null;
}

function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const content = (process.env['BENCH_CONTENT'] ?? 'camera') as DemoContent;
  const raw = `${root}/reference.bgr0`;
  process.stderr.write(`bench: capturing ${SECONDS} s of the ${content} meeting losslessly…\n`);
  await captureReference(content, raw);
  const results: Record<string, unknown>[] = [];
  try {
    // Every setting once per round, rounds one after the other: a slow spell of this shared machine then
    // touches every setting alike, and the median of the rounds is reported.
    const names = Object.keys(SETTINGS);
    const cpu = new Map<string, number[]>(names.map((name) => [name, []]));
    for (let round = 0; round < REPEATS; round++) {
      for (const [i, name] of names.entries()) {
        process.stderr.write(`bench: round ${round + 1}/${REPEATS}, ${name}…\n`);
        const cpuSec = await encode(raw, SETTINGS[name] ?? [], `${root}/${i}.mp4`);
        if (cpuSec !== null) cpu.get(name)?.push(cpuSec);
      }
    }
    const former = `${root}/0.mp4`;
    const current = `${root}/${names.indexOf(CURRENT)}.mp4`;
    for (const [i, name] of names.entries()) {
      const out = `${root}/${i}.mp4`;
      const cpuSec = median(cpu.get(name) ?? []);
      results.push({
        settings: name,
        x264Options: SETTINGS[name],
        cpuSec,
        cpuSecRuns: cpu.get(name),
        cores: cpuSec === null ? null : Math.round((cpuSec / SECONDS) * 1000) / 1000,
        kbps: Math.round((statSync(out).size * 8) / SECONDS / 1000),
        vsCaptured: await quality(out, rawInput(raw)),
        vsFormer: await quality(out, ['-i', former]),
        ...(name === CURRENT ? {} : { vsCurrent: await quality(out, ['-i', current]) }),
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const report = {
    benchmark: 'encoder',
    measured: `${SECONDS} s of the ${content} 3-participant meeting at 720p30, captured losslessly from the session's display, encoded with each setting one after the other`,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
    date: new Date().toISOString(),
    definitions: {
      cpuSec: `ffmpeg's own utime+stime (-benchmark) for the encode, bgr0 → yuv420p conversion included; median of ${REPEATS} rounds (cpuSecRuns)`,
      cores: `cpuSec / ${SECONDS} s of video: the encoder's share of a core in a live 30 fps recording`,
      vsCaptured: 'SSIM (All) and PSNR (average, dB) of the encode against the captured frames',
      vsFormer: 'the same against the former settings’ encode of the same frames',
      vsCurrent: `the same against the encode of the same frames with ${CURRENT} (swscale's default chroma filter, x264's own threads)`,
    },
    results,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/encoder${content === 'camera' ? '' : `-${content}`}.json`, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify(results.map((r) => [r['settings'], r['cores'], r['kbps'], r['vsCaptured'], r['vsFormer'], r['vsCurrent']]))}\n`,
  );
}

await main();
