/** Pulls the sync tile's brightness per frame and the mono audio out of a recording, with ffmpeg. */
import { spawn } from 'node:child_process';

function run(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg ${code}: ${err}`))));
  });
}

/** A rectangle of the picture in device pixels (as syncTileRect and clockTileRect give it). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Mean luma (0–255) of each rectangle, one value per frame of the file, in presentation order, from one
 * decode of the file (a 30-minute recording takes minutes to decode). Each rectangle is cropped and shrunk
 * to 8x8, and the squares are laid side by side in one gray picture, so each row of a frame holds 8 bytes of
 * every rectangle in turn. Passthrough: the raw output must not repeat or drop frames to fill a constant
 * rate (it did repeat the first one, which a recording stretches, see videoFrameTimes), so value i belongs
 * to frame i.
 */
export async function regionsLuma(path: string, rects: readonly Rect[]): Promise<number[][]> {
  if (rects.length === 0) return [];
  const square = (r: Rect) => `crop=${r.width}:${r.height}:${r.x}:${r.y},scale=8:8`;
  const labels = (prefix: string) => rects.map((_, i) => `[${prefix}${i}]`).join('');
  const graph =
    rects.length === 1
      ? `${square(rects[0]!)},format=gray`
      : `split=${rects.length}${labels('s')};${rects.map((r, i) => `[s${i}]${square(r)}[q${i}]`).join(';')};${labels('q')}hstack=inputs=${rects.length},format=gray`;
  const raw = await run(['-i', path, '-an', '-filter_complex', graph, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-']);
  return lumaPerRegion(raw, rects.length);
}

/** Pure: frames of n 8x8 gray squares side by side → each square's mean, per frame. */
export function lumaPerRegion(raw: Uint8Array, n: number): number[][] {
  const row = 8 * n;
  const frame = row * 8;
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let off = 0; off + frame <= raw.length; off += frame) {
    for (let k = 0; k < n; k++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) sum += raw[off + y * row + k * 8 + x]!;
      out[k]!.push(sum / 64);
    }
  }
  return out;
}

export async function monoPcm(path: string, rate = 48000): Promise<Float32Array> {
  const raw = await run(['-i', path, '-vn', '-ac', '1', '-ar', String(rate), '-f', 'f32le', '-']);
  // Copy: the decoded bytes may not start on a 4-byte boundary of their ArrayBuffer.
  const n = Math.floor(raw.length / 4);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + n * 4));
}

/** ffprobe's standard output for `-v error <args> <path>`. */
export function ffprobe(args: readonly string[], path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('ffprobe', ['-v', 'error', ...args, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`ffprobe exited ${code}`))));
  });
}

/** Each stream's start time (s): decoded samples and frames count from their own stream's start. */
export async function streamStarts(path: string): Promise<{ video: number; audio: number }> {
  const out = await ffprobe(['-show_entries', 'stream=codec_type,start_time', '-of', 'json'], path);
  const streams = (JSON.parse(out) as { streams: { codec_type: string; start_time?: string }[] }).streams;
  const start = (type: string) => Number(streams.find((s) => s.codec_type === type)?.start_time ?? 0);
  return { video: start('video'), audio: start('audio') };
}

/**
 * Each video frame's presentation time (s), in order. Frame times are not index / fps: the AAC encoder's
 * priming (1024 samples, 21.3 ms at 48 kHz) starts the audio before the video, the muxer moves both streams
 * later by that much, and a fragmented MP4 without an edit list stretches the first frame to cover the gap
 * (840 instead of 512 ticks of 1/15360 s in every recording measured): frames 1… sit 21.3 ms after k / 30.
 */
export async function videoFrameTimes(path: string): Promise<number[]> {
  const out = await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0'], path);
  return out
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
}
