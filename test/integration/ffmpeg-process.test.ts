/**
 * Real ffmpeg 5.1 runs (lavfi testsrc2 + sine stand in for x11grab + pulse; the output is the real
 * buildFragmentedMp4Output). Small frames (640x360) keep the CPU low on a 2-core machine; the whole file takes
 * ~15 s.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AudioProfile,
  buildCaptureCommand,
  buildFragmentedMp4Output,
  buildRemuxToMp4Command,
  type FfmpegCommandSpec,
  type FfmpegHandle,
  isCleanFfmpegExit,
  measureAudioLevel,
  probeMedia,
  runFfmpeg,
  startFfmpeg,
  toArgv,
  type VideoProfile,
} from '../../src/ffmpeg/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'scriba-ffmpeg-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const video: VideoProfile = { width: 640, height: 360, fps: 30, preset: 'veryfast', crf: 23, gopSeconds: 2 };
const audio: AudioProfile = { bitrateKbps: 128, sampleRate: 48_000, channels: 2 };

/** The capture command with lavfi sources read at real time (-re) in place of the devices. */
function lavfiCapture(target: string): FfmpegCommandSpec {
  return buildCaptureCommand({
    inputs: [
      { options: ['-re', '-f', 'lavfi'], source: `testsrc2=size=${video.width}x${video.height}:rate=${video.fps}` },
      { options: ['-re', '-f', 'lavfi'], source: 'sine=frequency=440:sample_rate=48000' },
    ],
    outputs: [buildFragmentedMp4Output(target, video, audio)],
  });
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const encodedSeconds = (h: FfmpegHandle): number => h.lastProgress?.timeSec ?? 0;

/** Top-level MP4 box types in file order. */
function topLevelBoxes(path: string): string[] {
  const buf = readFileSync(path);
  const types: string[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(offset + 8));
    if (size === 0) size = buf.length - offset;
    types.push(type);
    if (size < 8) break;
    offset += size;
  }
  return types;
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // killed but not yet reaped by whoever adopted it: a zombie is gone for our purposes
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('ffmpeg process wrapper (real ffmpeg)', () => {
  const stopped = join(dir, 'stopped.frag.mp4');
  const killed = join(dir, 'killed.frag.mp4');

  it('stop() finishes a fragmented MP4 with h264 + aac at 30 fps', async () => {
    const handle = startFfmpeg(lavfiCapture(stopped));
    expect(handle.pid).toBeTypeOf('number');
    await waitFor('2 s encoded', () => encodedSeconds(handle) >= 2);
    const exit = await handle.stop();
    expect(exit).toMatchObject({ code: 255, signal: null, stoppedByUs: true, lastError: null });
    expect(isCleanFfmpegExit(exit)).toBe(true);
    expect(exit.stderrTail.at(-1)).toBe('Exiting normally, received signal 2.');

    const summary = await probeMedia(stopped);
    expect(summary.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(summary.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(summary.durationSec).toBeGreaterThan(1.5);
    expect(summary.video?.avgFps).toBeCloseTo(30, 0);

    const level = await measureAudioLevel(stopped);
    expect(level.maxDb).toBeLessThan(0);
    expect(level.maxDb).toBeGreaterThan(-30); // a sine at 1/8 amplitude, not silence (-91)
  });

  it('kill -9 mid-run leaves a readable file with the complete fragments', async () => {
    const handle = startFfmpeg(lavfiCapture(killed));
    await waitFor('2.5 s encoded', () => encodedSeconds(handle) >= 2.5);
    process.kill(handle.pid ?? -1, 'SIGKILL');
    const exit = await handle.exited;
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL', stoppedByUs: false });
    expect(isCleanFfmpegExit(exit)).toBe(false);

    const summary = await probeMedia(killed);
    expect(summary.durationSec).toBeGreaterThan(1);
    expect(summary.video?.codec).toBe('h264');
    expect(summary.audio?.codec).toBe('aac');
  });

  it('remux gives a standard MP4 with moov before mdat', async () => {
    expect(topLevelBoxes(killed).filter((t) => t === 'moof').length).toBeGreaterThanOrEqual(2);
    const remuxed = join(dir, 'remuxed.mp4');
    await runFfmpeg(buildRemuxToMp4Command(killed, remuxed), { what: 'remux' });
    const boxes = topLevelBoxes(remuxed);
    expect(boxes).not.toContain('moof');
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const summary = await probeMedia(remuxed);
    expect(summary.video?.codec).toBe('h264');
    expect(summary.audio?.codec).toBe('aac');
    expect(summary.durationSec).toBeGreaterThan(1);
  });

  it('aborting the signal stops it cleanly', async () => {
    const controller = new AbortController();
    const target = join(dir, 'aborted.frag.mp4');
    const handle = startFfmpeg(lavfiCapture(target), { signal: controller.signal });
    await waitFor('1 s encoded', () => encodedSeconds(handle) >= 1);
    controller.abort();
    const exit = await handle.exited;
    expect(exit).toMatchObject({ code: 255, stoppedByUs: true });
    expect(statSync(target).size).toBeGreaterThan(0);
  });

  it('a failing command resolves exited with a non-zero code and lastError', async () => {
    const handle = startFfmpeg(
      buildCaptureCommand({
        inputs: [{ options: [], source: join(dir, 'does-not-exist.mp4') }],
        outputs: [buildFragmentedMp4Output(join(dir, 'never.mp4'), video, audio)],
      }),
    );
    const exit = await handle.exited;
    expect(exit.code).toBe(1);
    expect(exit.stoppedByUs).toBe(false);
    expect(exit.lastError).toMatch(/does-not-exist\.mp4: No such file or directory$/);
  });

  it('fluent-ffmpeg hands our argv to the program unchanged (a fake ffmpeg records it)', async () => {
    const fake = join(dir, 'fake-ffmpeg.sh');
    const out = join(dir, 'argv.bin');
    writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\0\' "$a"; done > "$ARGV_OUT"\n');
    chmodSync(fake, 0o755);
    const spec: FfmpegCommandSpec = {
      globalOptions: ['-hide_banner', '-y'],
      inputs: [{ options: ['-f', 'lavfi'], source: 'sine=frequency=440' }],
      outputs: [{ options: ['-metadata', 'title=a b "c" $HOME ü;*'], target: join(dir, 'out file.mp4') }],
    };
    const exit = await startFfmpeg(spec, { ffmpegPath: fake, env: { ARGV_OUT: out, PATH: process.env['PATH'] ?? '' } }).exited;
    expect(exit.code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\0').slice(0, -1)).toEqual(toArgv(spec));
  });

  it('ffmpeg does not outlive its parent process (setpriv --pdeathsig)', async () => {
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../src/ffmpeg/ffmpeg-process.ts')).href;
    const script = `
      const { startFfmpeg } = await import(${JSON.stringify(moduleUrl)});
      const h = startFfmpeg({
        globalOptions: ['-hide_banner', '-nostdin', '-loglevel', 'error'],
        inputs: [{ options: ['-re', '-f', 'lavfi'], source: 'sine' }],
        outputs: [{ options: ['-f', 'null'], target: '-' }],
      });
      console.log(h.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ffmpegPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.setEncoding('utf8');
      parent.stdout.once('data', (d: string) => resolve(Number(d.trim())));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(ffmpegPid).toBeGreaterThan(0);
    expect(isGone(ffmpegPid)).toBe(false);
    parent.kill('SIGKILL');
    await waitFor('ffmpeg to die with its parent', () => isGone(ffmpegPid), 5_000);
  });
});
