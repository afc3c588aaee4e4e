/**
 * Live streaming against a real nginx-rtmp (started here on a free loopback port), with real Chromium, Xvfb,
 * PulseAudio and ffmpeg recording the synthetic meeting. The stream is read back with ffprobe as a viewer
 * would; the file recorded at the same time is checked packet by packet.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecord } from '../../src/cli/record-command.ts';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import type { RecordingSession } from '../../src/session/recording-session.ts';
import type { StreamStatus } from '../../src/session/session-types.ts';
import { probeLiveStream, startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.ts';
import { isAlive, waitUntil } from '../helpers/processes.ts';
import { memoryLogger, newSession, request, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;
let nginx: NginxRtmp;

beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
  nginx = await startNginxRtmp();
});
afterAll(async () => {
  await nginx?.close();
  await meeting?.close();
});

/** Records the session's stream events with the time they came (ms since the call). */
function streamEvents(session: RecordingSession): { at: number; status: StreamStatus }[] {
  const t0 = Date.now();
  const events: { at: number; status: StreamStatus }[] = [];
  session.on('stream', (status) => events.push({ at: Date.now() - t0, status }));
  return events;
}

const connects = (events: { status: StreamStatus }[]) => events.filter((e) => e.status.status === 'connected').length;

/** The capture ffmpeg's command line while it runs (the session's pid list includes it). */
function captureArgv(session: RecordingSession): string[] {
  for (const pid of session.pids()) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes('x11grab')) return argv;
    } catch {
      /* gone */
    }
  }
  return [];
}

/** pts (s) of every packet of one stream of a file, in order. */
function packetTimes(path: string, stream: 'v' | 'a'): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map(Number)
              .sort((a, b) => a - b),
          )
        : reject(new Error(`ffprobe ${code}`)),
    );
  });
}

/** Largest step between packets, after the first one: the mp4 muxer gives every file's first video frame
 *  0.055 s (with or without streaming), which is not a gap. */
function largestGap(times: number[]): number {
  let gap = 0;
  for (let i = 2; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

const KEY = 'live-test-key-0123456789';

describe('live streaming to RTMP', () => {
  it('file + stream from one encode: the viewer gets H.264 + AAC 1280x720 at 30 fps; the file is complete; no key in the logs', async () => {
    const config = testConfig();
    const { logger, lines } = memoryLogger();
    const session = newSession(
      config,
      request(`${meeting.url}/live?participants=2`, 'stream-both', {
        maxDurationSec: 12,
        stream: { url: nginx.url(KEY), youtubeBroadcastId: 'dQw4w9WgXcQ' },
      }),
      logger,
    );
    const events = streamEvents(session);
    const run = session.run();
    expect(await waitUntil(() => connects(events) === 1, 20_000)).toBe(true);
    const argv = captureArgv(session);
    expect(argv.filter((a) => a === 'libx264')).toHaveLength(1); // one encode…
    expect(argv[argv.indexOf('tee') - 1]).toBe('-f'); // …shared by two legs
    expect(argv.join(' ')).toContain(`-tune zerolatency -crf ${config.capture.videoCrf} -maxrate 2976k -bufsize 5952k`);

    const live = await probeLiveStream(nginx.url(KEY), 3);
    expect(live.video).toMatchObject({ codec: 'h264', width: 1280, height: 720, fps: 30 });
    expect(live.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(live.measuredFps).toBeGreaterThan(27);
    expect(live.measuredFps).toBeLessThan(33);

    const result = await run;
    expect(result.failure).toBeNull();
    expect(result.status).toBe('finished');
    expect(result.stream).toMatchObject({
      target: `rtmp://127.0.0.1:${nginx.port}/live/***`,
      liveViewUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ',
      attempts: 1,
      connects: 1,
      end: { code: 'stopped', error: false },
    });
    expect(events.map((e) => e.status.status)).toEqual(['connected', 'ended']);
    const media = await probeMedia(result.file!.path);
    expect(media.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(Math.abs(media.durationSec - 12)).toBeLessThanOrEqual(0.5);
    expect(media.audio?.codec).toBe('aac');
    const metadata = JSON.parse(readFileSync(result.metadataFile!, 'utf8')) as Record<string, unknown>;
    expect(metadata['live_view_url']).toBe('https://youtube.com/watch?v=dQw4w9WgXcQ');
    expect(JSON.stringify(metadata)).not.toContain(KEY);
    expect(lines.join('')).not.toContain(KEY);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(await waitUntil(() => session.pids().every((p) => !isAlive(p)), 3000)).toBe(true);
  });

  it('nginx restarts mid-stream: connected again within 5 s and readable; the file recorded meanwhile has no gap', async () => {
    const config = testConfig();
    const session = newSession(
      config,
      request(`${meeting.url}/restart?participants=2`, 'stream-restart', {
        maxDurationSec: 16,
        stream: { url: nginx.url(KEY), youtubeBroadcastId: null },
      }),
    );
    const events = streamEvents(session);
    const run = session.run();
    expect(await waitUntil(() => connects(events) === 1, 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const restartAt = Date.now();
    await nginx.restart();
    expect(await waitUntil(() => connects(events) === 2, 10_000)).toBe(true);
    const backAfterMs = Date.now() - restartAt;
    expect(backAfterMs).toBeLessThanOrEqual(5000);
    const live = await probeLiveStream(nginx.url(KEY), 2);
    expect(live.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(live.audio?.codec).toBe('aac');

    const result = await run;
    expect(result.failure).toBeNull();
    const sequence = events.map((e) => e.status.status);
    expect(sequence[0]).toBe('connected');
    expect(sequence.slice(-2)).toEqual(['connected', 'ended']);
    expect(sequence.slice(1, -2).length).toBeGreaterThanOrEqual(1);
    expect(sequence.slice(1, -2).every((s) => s === 'reconnecting')).toBe(true);
    expect(result.stream).toMatchObject({ connects: 2, end: { code: 'stopped', error: false } });

    // The file: every frame there, evenly spaced, audio continuous: the restart never reached it.
    const path = result.file!.path;
    const media = await probeMedia(path);
    const video = await packetTimes(path, 'v');
    const audio = await packetTimes(path, 'a');
    expect(Math.abs(media.durationSec - 16)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(video.length - media.video!.durationSec! * 30)).toBeLessThanOrEqual(2);
    expect(largestGap(video)).toBeLessThan(0.05); // 1/30 s apart (cfr)
    expect(largestGap(audio)).toBeLessThan(0.05); // one AAC frame is 21.3 ms
  });

  it('a rejected key (on_publish answers 403) fails a stream-only session within seconds, after one attempt, not retryable', async () => {
    const config = testConfig();
    const session = newSession(
      config,
      request(`${meeting.url}/rejected?participants=1`, 'stream-rejected', {
        maxDurationSec: 30,
        recordFile: false,
        stream: { url: nginx.url('bad'), youtubeBroadcastId: null },
      }),
    );
    const events = streamEvents(session);
    let runningAt = 0;
    const t0 = Date.now();
    session.on('state', (s) => {
      if (s.status === 'running' && runningAt === 0) runningAt = Date.now() - t0;
    });
    const result = await session.run();
    const ended = events.find((e) => e.status.status === 'ended')!;
    expect(ended.at - runningAt).toBeLessThan(3000);
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({ code: 'stream_rejected', retryable: false });
    expect(result.failure!.message).toMatch(
      /^the RTMP server rejected the stream: the server closed the connection before publishing started/,
    );
    expect(result.failure!.message).toContain(`rtmp://127.0.0.1:${nginx.port}/live/***`);
    expect(result.stream).toMatchObject({ attempts: 1, connects: 0, end: { code: 'stream_rejected', error: true, retryable: false } });
    expect(events.map((e) => e.status.status)).toEqual(['ended']);
    expect(nginx.publishAttempts('bad')).toBe(1);
    expect(result.file).toBeNull();
    expect(existsSync(`${config.recordingsDir}/stream-rejected`)).toBe(false);
  });

  it('a stream the server drops right after accepting it (deny publish) is rejected too; the file goes on', async () => {
    const config = testConfig();
    const session = newSession(
      config,
      request(`${meeting.url}/denied?participants=1`, 'stream-denied', {
        maxDurationSec: 6,
        stream: { url: nginx.url(KEY, 'closed'), youtubeBroadcastId: null },
      }),
    );
    const events = streamEvents(session);
    const result = await session.run();
    expect(result).toMatchObject({ status: 'finished', reason: 'max_duration', failure: null });
    expect(result.stream).toMatchObject({ attempts: 1, connects: 0, end: { code: 'stream_rejected', error: true, retryable: false } });
    expect(events.map((e) => e.status.status)).toEqual(['ended']);
    const media = await probeMedia(result.file!.path);
    expect(Math.abs(media.durationSec - 6)).toBeLessThanOrEqual(0.5);
  });

  it('scriba record --stream … --no-file: stream only, readable while it runs, no file, a JSON summary with the target redacted', async () => {
    const config = testConfig();
    const key = 'cli-stream-key-0123456789';
    const running = runRecord(
      {
        url: `${meeting.url}/cli-live?participants=1`,
        stream: nginx.url(key),
        file: false,
        out: config.recordingsDir,
        'max-duration': '10',
        'session-id': 'stream-cli',
        'log-level': 'warn',
      },
      { tty: false },
    );
    // The stream appears on the server once the browser joined and the capture runs.
    const live = await waitForLive(nginx.url(key), 25_000);
    expect(live.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(live.audio?.codec).toBe('aac');
    const { result, summary } = await running;
    expect(summary).toMatchObject({
      status: 'finished',
      sessionId: 'stream-cli',
      path: null,
      reason: 'max_duration',
      stream: { target: `rtmp://127.0.0.1:${nginx.port}/live/***`, connects: 1, end: 'stopped' },
    });
    expect(JSON.stringify(summary)).not.toContain(key);
    expect(result.file).toBeNull();
    expect(existsSync(`${config.recordingsDir}/stream-cli`)).toBe(false);
  });
});

async function waitForLive(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probeLiveStream(url, 2);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
