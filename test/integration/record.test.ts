/**
 * Real Chromium, Xvfb, PulseAudio and ffmpeg against the synthetic meeting. Outputs are checked with ffprobe.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { measureAudioLevel, probeMedia } from '../../src/ffmpeg/index.ts';
import { topLevelBoxes } from '../helpers/mp4.ts';
import { spawnCli } from '../helpers/cli.ts';
import { isAlive, killTree, waitUntil } from '../helpers/processes.ts';
import { memoryLogger, newSession, request, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;

beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
});
afterAll(async () => {
  await meeting?.close();
});

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoiKiIsImNvbnRleHQiOnt9fQ.c2VjcmV0LXNpZ25hdHVyZQ';

describe('recording the synthetic meeting', () => {
  it('records 15 s to a standard MP4: H.264 1280x720 at 30 fps, AAC with the speech, metadata beside it', async () => {
    const config = testConfig();
    const { logger, lines } = memoryLogger();
    const session = newSession(
      config,
      request(`${meeting.url}/acme/standup?participants=3&jwt=${JWT}`, 'rec-15s', {
        fileRecordingMetadata: { share: true, upload_token: 'secret-upload-token' },
      }),
      logger,
    );
    const result = await session.run();
    expect(result.failure).toBeNull();
    expect(result).toMatchObject({ status: 'finished', reason: 'max_duration' });
    const path = result.file!.path;
    expect(path).toMatch(/\/rec-15s\/standup_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.mp4$/);
    const media = await probeMedia(path);
    expect(media.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(media.video!.avgFps).toBeGreaterThanOrEqual(29);
    expect(Math.abs(media.durationSec - 15), JSON.stringify(media)).toBeLessThanOrEqual(0.5);
    expect(media.audio).toMatchObject({ codec: 'aac' });
    const level = await measureAudioLevel(path);
    expect(level.maxDb).toBeGreaterThan(-20); // speech is there, not silence
    expect(level.meanDb).toBeGreaterThan(-50);
    // Finalized: the index (moov) precedes the media data, no fragments left.
    const boxes = await topLevelBoxes(path);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    expect(boxes).not.toContain('moof');

    const metadata = JSON.parse(readFileSync(result.metadataFile!, 'utf8')) as Record<string, unknown>;
    expect(metadata['meeting_url']).toBe(`${meeting.url}/acme/standup`);
    expect(metadata['share']).toBe(true);
    expect((metadata['participants'] as unknown[]).length).toBe(3);
    // Secrets never reach the logs.
    const log = lines.join('');
    expect(log).not.toContain(JWT);
    expect(log).not.toContain('secret-upload-token');
    expect(session.pids().filter(isAlive)).toEqual([]);
  });

  it('announces the recording in the meeting, tags its presence, and keeps hidden-from-recorder participants out', async () => {
    const config = testConfig();
    const session = newSession(
      config,
      request(`${meeting.url}/private?participants=3&hiddenFromRecorder=2`, 'rec-privacy', { maxDurationSec: 4 }),
    );
    const seen: { messages: string[]; presence: Record<string, string> }[] = [];
    session.on('state', (s) => {
      if (s.status !== 'running') return;
      void (async () => {
        const page = (await session.inspectPage())!;
        seen.push(
          await page.evaluate(() => {
            const d = (window as unknown as { __scribaDemo: { messages: string[]; presence: Record<string, string> } }).__scribaDemo;
            return { messages: d.messages, presence: d.presence };
          }),
        );
      })();
    });
    const result = await session.run();
    expect(result.failure).toBeNull();
    expect(seen[0]?.messages).toEqual(['This meeting is being recorded.']);
    expect(seen[0]?.presence).toMatchObject({ session_id: 'rec-privacy', mode: 'FILE' });
    const metadata = JSON.parse(readFileSync(result.metadataFile!, 'utf8')) as { participants: { name: string }[] };
    expect(metadata.participants.map((p) => p.name)).toEqual(['Alice Archer', 'Chen Cho']);
  });

  it('stops by itself once the last participant has left', async () => {
    const config = testConfig({ checks: { intervalSec: 1, emptyCallTimeoutSec: 2 } });
    const session = newSession(config, request(`${meeting.url}/leavers?participants=2&leaveAfter=4`, 'rec-empty', { maxDurationSec: 60 }));
    const result = await session.run();
    expect(result).toMatchObject({ status: 'finished', reason: 'empty_call' });
    expect(result.durationSec).toBeLessThan(15);
    const media = await probeMedia(result.file!.path);
    expect(media.video?.codec).toBe('h264');
  });

  it('stops within the empty-call timeout plus 2 s of the last leave, with the 15 s check interval', async () => {
    // Everyone leaves 6 s after the join; the full checks run only every 15 s, the per-second probe catches it.
    const config = testConfig({ checks: { intervalSec: 15, emptyCallTimeoutSec: 4 } });
    const session = newSession(
      config,
      request(`${meeting.url}/leavers2?participants=2&leaveAfter=6`, 'rec-empty-fast', { maxDurationSec: 60 }),
    );
    const result = await session.run();
    expect(result).toMatchObject({ status: 'finished', reason: 'empty_call' });
    // Capture starts after the join, so the media is no longer than the time since the join.
    expect(result.durationSec).toBeLessThanOrEqual(6 + 4 + 2);
    expect(result.durationSec).toBeGreaterThanOrEqual(6 + 4 - 2);
  });

  it('fails within the join timeout when the meeting never joins, leaving no process and no directory', async () => {
    const config = testConfig({ meeting: { joinTimeoutSec: 4 } });
    const session = newSession(config, request(`${meeting.url}/nobody?neverJoin=1`, 'rec-nojoin'));
    const started = Date.now();
    const result = await session.run();
    expect(Date.now() - started).toBeLessThan(4000 + 8000);
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({ code: 'join_timeout', retryable: true });
    expect(result.failure!.message).toMatch(/join/i);
    expect(result.file).toBeNull();
    expect(session.pids().length).toBeGreaterThan(0);
    expect(await waitUntil(() => session.pids().every((p) => !isAlive(p)), 3000)).toBe(true);
    expect(existsSync(`${config.recordingsDir}/rec-nojoin`)).toBe(false);
    expect(readdirSync(config.workDir)).toEqual([]);
  });

  it('refuses an end-to-end encrypted meeting with a clear reason', async () => {
    const config = testConfig();
    const result = await newSession(config, request(`${meeting.url}/secret?e2ee=1`, 'rec-e2ee')).run();
    expect(result.status).toBe('failed');
    expect(result.failure?.code).toBe('e2ee_not_supported');
    expect(result.failure?.message).toMatch(/end-to-end encrypt/);
    expect(result.file).toBeNull();
  });

  it('runs two sessions at once on one machine, both producing correct files', async () => {
    const config = testConfig();
    const a = newSession(config, request(`${meeting.url}/room-a?participants=2`, 'rec-a', { maxDurationSec: 10 }));
    const b = newSession(config, request(`${meeting.url}/room-b?participants=2`, 'rec-b', { maxDurationSec: 10 }));
    const results = await Promise.all([a.run(), b.run()]);
    for (const result of results) {
      expect(result.failure).toBeNull();
      const media = await probeMedia(result.file!.path);
      expect(media.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
      expect(Math.abs(media.durationSec - 10)).toBeLessThanOrEqual(0.5);
      expect(media.video!.avgFps).toBeGreaterThanOrEqual(27);
      expect(media.audio?.codec).toBe('aac');
      expect((await measureAudioLevel(result.file!.path)).maxDb).toBeGreaterThan(-20);
    }
    expect(results[0]!.file!.path).not.toBe(results[1]!.file!.path);
  });

  it('scriba record: SIGTERM finishes the file, exits 0 and prints a one-line JSON summary', async () => {
    const config = testConfig();
    const cli = spawnCli(
      [
        'record',
        '--url',
        `${meeting.url}/cli?participants=1`,
        '--out',
        config.recordingsDir,
        '--session-id',
        'rec-cli',
        '--log-level',
        'info',
      ],
      {
        ...process.env,
        SCRIBA_WORK_DIR: config.workDir,
      },
    );
    expect(await waitUntil(() => cli.stderr().includes('session running'), 30_000), cli.stderr()).toBe(true);
    await new Promise((r) => setTimeout(r, 4000));
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const summary = JSON.parse(cli.stdout().trim().split('\n').pop()!) as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'finished', sessionId: 'rec-cli', reason: 'signal' });
    expect(summary['durationSec']).toBeGreaterThan(3);
    const boxes = await topLevelBoxes(summary['path'] as string);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    expect((await probeMedia(summary['path'] as string)).video?.codec).toBe('h264');
  });

  it('kill -9 of the whole worker process tree 10 s in leaves a file with >= 8 s of audio and video', async () => {
    const config = testConfig();
    const cli = spawnCli(
      ['record', '--url', `${meeting.url}/crash?participants=2`, '--out', config.recordingsDir, '--session-id', 'rec-crash'],
      {
        ...process.env,
        SCRIBA_WORK_DIR: config.workDir,
        SCRIBA_LOG_LEVEL: 'info',
      },
    );
    const running = await waitUntil(() => cli.stderr().includes('session running'), 30_000);
    expect(running, cli.stderr()).toBe(true);
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await killTree(cli.child.pid!)).toBe(true);
    const dir = `${config.recordingsDir}/rec-crash`;
    const file = readdirSync(dir).find((f) => f.endsWith('.mp4'));
    expect(file).toBeDefined();
    const media = await probeMedia(`${dir}/${file}`);
    expect(media.video?.codec).toBe('h264');
    expect(media.audio?.codec).toBe('aac');
    expect(media.video!.durationSec ?? media.durationSec).toBeGreaterThanOrEqual(8);
    expect(media.audio!.durationSec ?? media.durationSec).toBeGreaterThanOrEqual(8);
    expect(existsSync(`${dir}/metadata.json`)).toBe(true);
  });
});
