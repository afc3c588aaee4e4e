/**
 * Glass-to-glass delay of a live stream, from the synthetic meeting's sync tile (a flash in frames 0–2 of
 * every second of its clip, 9 frames at the start of each 18 s cycle):
 * - page side: requestVideoFrameCallback on the tile reports, for every frame Chromium composites, its media
 *   time and when it is shown (expectedDisplayTime, on the page's clock, turned into epoch ms);
 * - viewer side: an ffmpeg reading the RTMP stream decodes the tile's corner (single-threaded, no input
 *   buffering) and writes an 8x8 grey thumbnail per frame to a pipe; we stamp each with its arrival time.
 * Both sides give flash pulses on the same wall clock; av-sync.ts's measureOffset pairs them (the long cycle
 * markers first, so a delay beyond half a second is not ambiguous) and returns the median difference.
 */
import { spawn } from 'node:child_process';
import type { Page } from 'puppeteer-core';
import { planChildSpawn } from '../../src/process/spawn-plan.ts';
import type { Pulse } from './av-sync.ts';

interface FrameStamp {
  /** epoch ms when the frame is shown */
  readonly atMs: number;
  readonly mediaTime: number;
}

/** Starts stamping the sync tile's frames in the page (call once the meeting shows it). */
export async function installFrameClock(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const video = document.getElementById('sync-tile') as HTMLVideoElement | null;
    if (video === null || typeof video.requestVideoFrameCallback !== 'function') return false;
    const stamps: { atMs: number; mediaTime: number }[] = [];
    (window as unknown as { __g2g: typeof stamps }).__g2g = stamps;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      stamps.push({ atMs: performance.timeOrigin + meta.expectedDisplayTime, mediaTime: meta.mediaTime });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return true;
  });
}

export async function readFrameClock(page: Page): Promise<FrameStamp[]> {
  return page.evaluate(() => (window as unknown as { __g2g?: { atMs: number; mediaTime: number }[] }).__g2g ?? []);
}

/** Flash pulses (seconds since originMs) from the page's frame stamps: a frame is bright by its index in the clip. */
export function pagePulses(stamps: readonly FrameStamp[], originMs: number, fps = 30): Pulse[] {
  const out: Pulse[] = [];
  let onset: number | null = null;
  for (const s of stamps) {
    const n = Math.round(s.mediaTime * fps);
    const bright = n % fps < 3 || n < 9;
    if (bright && onset === null) onset = s.atMs;
    if (!bright && onset !== null) {
      out.push({ t: (onset - originMs) / 1000, dur: (s.atMs - onset) / 1000 });
      onset = null;
    }
  }
  return out;
}

export interface StreamReader {
  readonly pid: number | undefined;
  /** Stops the reader; returns (arrival epoch ms, mean luma 0–255) per frame. */
  stop(): Promise<{ atMs: number; luma: number }[]>;
}

/** A viewer: reads the live stream and reports each frame's tile brightness as it arrives. */
export function startStreamReader(url: string, rect: { x: number; y: number; width: number; height: number }): StreamReader {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    // No input buffering, no frame-threading delay in the decoder: the reader should add as little as possible.
    '-fflags',
    'nobuffer',
    '-flags',
    'low_delay',
    '-threads',
    '1',
    '-i',
    url,
    '-an',
    '-vf',
    `crop=${rect.width}:${rect.height}:${rect.x}:${rect.y},scale=8:8,format=gray`,
    '-fps_mode',
    'passthrough',
    '-flush_packets',
    '1',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const plan = planChildSpawn('ffmpeg', args);
  const child = spawn(plan.program, plan.args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const frames: { atMs: number; luma: number }[] = [];
  let pending = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    const now = Date.now();
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 64) {
      let sum = 0;
      for (let i = 0; i < 64; i++) sum += pending[i]!;
      frames.push({ atMs: now, luma: sum / 64 });
      pending = pending.subarray(64);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      await exited;
      return frames;
    },
  };
}

/** Flash pulses (seconds since originMs) from the reader's frames. */
export function readerPulses(frames: readonly { atMs: number; luma: number }[], originMs: number, threshold = 128): Pulse[] {
  const out: Pulse[] = [];
  let onset: number | null = null;
  for (const f of frames) {
    const bright = f.luma >= threshold;
    if (bright && onset === null) onset = f.atMs;
    if (!bright && onset !== null) {
      out.push({ t: (onset - originMs) / 1000, dur: (f.atMs - onset) / 1000 });
      onset = null;
    }
  }
  return out;
}

/** Every page flash paired with the viewer's flash nearest to it + coarseSec; returns the delays (ms), sorted. */
export function pairedDelaysMs(page: readonly Pulse[], viewer: readonly Pulse[], coarseSec: number): number[] {
  const out: number[] = [];
  for (const p of page) {
    let best: Pulse | null = null;
    for (const v of viewer) if (best === null || Math.abs(v.t - p.t - coarseSec) < Math.abs(best.t - p.t - coarseSec)) best = v;
    if (best !== null && Math.abs(best.t - p.t - coarseSec) <= 0.3) out.push(Math.round((best.t - p.t) * 1000));
  }
  return out.sort((a, b) => a - b);
}
