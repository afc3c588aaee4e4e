/**
 * Recordings into S3 (s3rver on loopback) through the whole worker: uploaded while recording, verified, the
 * local copy removed, RECORDING_UPLOADED with a working link; the store down for 60 s during and after a
 * recording; a job recovered after its worker died with the recording finished but not uploaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { parseJobRequest } from '../../src/domain/job-request.ts';
import { probeMedia } from '../../src/ffmpeg/index.ts';
import { createS3Store } from '../../src/storage/s3-store.ts';
import { startApi, type RunningApi } from '../../workers/api.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { startWorker, type RunningWorker } from '../../workers/worker.ts';
import { waitUntil } from '../helpers/processes.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../helpers/s3-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

describe('upload to S3 while recording', () => {
  let meeting: Awaited<ReturnType<typeof startDemoMeeting>>;
  let s3: S3TestServer;
  let receiver: WebhookReceiver;
  let worker: RunningWorker;
  let api: RunningApi;
  let config: ReturnType<typeof testConfig>;
  const log = memoryLogger();

  beforeAll(async () => {
    meeting = await startDemoMeeting({ port: 0 });
    s3 = await startS3Server();
    receiver = await startWebhookReceiver();
    config = testConfig({
      meeting: { allowHttp: true },
      checks: { maxDurationSec: 120 },
      worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'] },
      api: { port: 0 },
      auth: { enabled: false },
      storage: { backend: 's3', partSizeMiB: 5, retryInitialMs: 200, retryMaxMs: 2_000 },
      webhooks: { urls: [receiver.url('/hooks')], allowPrivateAddresses: true, initialBackoffMs: 100 },
    });
    const store = createS3Store({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      prefix: 'recordings',
      maxAttempts: 1,
    });
    const queue = createQueue(config);
    worker = await startWorker(config, log.logger, queue, { store: { store, local: null } });
    api = await startApi(config, log.logger, queue);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await worker?.shutdown(10_000);
    await receiver?.stop();
    await s3?.close();
    await meeting?.close();
  });

  const uploadedEvents = (sessionId: string) =>
    receiver
      .acknowledged()
      .map((r) => JSON.parse(r.rawBody) as { eventType: string; sessionId: string; data: Record<string, any> })
      .filter((e) => e.eventType === 'RECORDING_UPLOADED' && e.sessionId === sessionId);

  async function record(room: string, seconds: number): Promise<string> {
    const res = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ meetingUrl: `${meeting.url}/${room}?participants=2`, mode: 'file', shouldShare: true }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await waitUntil(async () => worker.sessionStates().get(id) === 'running', 45_000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    expect((await fetch(`${api.url}/v1/sessions/${id}/stop`, { method: 'POST' })).status).toBe(202);
    return id;
  }

  it('uploads while recording: RECORDING_UPLOADED with the documented fields, a link that downloads the MP4, the local copy gone', async () => {
    const id = await record('upload-ok', 6);
    expect(await waitUntil(() => uploadedEvents(id).length === 1, 60_000)).toBe(true);
    const [event] = uploadedEvents(id);
    expect(event!.data).toMatchObject({
      participants: expect.arrayContaining([expect.objectContaining({ id: expect.any(String), name: expect.any(String), avatar: '' })]),
      preAuthenticatedLink: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/),
      share: true,
      initiatorId: '',
      recordingSessionId: id,
    });
    expect(event!.data['durationSec']).toBeGreaterThan(5);
    expect(event!.data['endTimestamp'] - event!.data['startTimestamp']).toBeGreaterThan(5_000);
    const body = Buffer.from(await (await fetch(event!.data['preAuthenticatedLink'])).arrayBuffer());
    const file = join(config.workDir, `${id}.mp4`);
    await mkdir(config.workDir, { recursive: true });
    await writeFile(file, body);
    const media = await probeMedia(file);
    expect(media.video?.width).toBe(1280);
    expect(media.audio?.codec).toBe('aac');
    expect(media.durationSec).toBeGreaterThan(5);
    // Verified, so the local session directory is gone; the job's result names the stored object.
    expect(await readdir(config.recordingsDir)).not.toContain(id);
    const record_ = await worker.queue.get(id);
    expect(record_).toMatchObject({
      status: 'completed',
      result: { path: null, key: expect.stringContaining(id), link: expect.any(String) },
    });
  }, 120_000);

  it('store down for 60 s during and after the recording: arrives after recovery, one RECORDING_UPLOADED, local copy kept until then', async () => {
    await s3.stop();
    const downAt = Date.now();
    const id = await record('upload-outage', 8);
    await waitUntil(() => worker.queue.get(id).then((r) => r?.status === 'active'), 5_000);
    // While the store is down the recording stays on disk and nothing is announced.
    await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - downAt))));
    expect(await readdir(config.recordingsDir)).toContain(id);
    expect(uploadedEvents(id)).toHaveLength(0);
    await s3.start();
    expect(await waitUntil(() => uploadedEvents(id).length === 1, 60_000)).toBe(true);
    await waitUntil(() => worker.queue.get(id).then((r) => r?.status === 'completed'), 10_000);
    expect(await readdir(config.recordingsDir)).not.toContain(id);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(uploadedEvents(id)).toHaveLength(1);
    const body = await (await fetch(uploadedEvents(id)[0]!.data['preAuthenticatedLink'])).arrayBuffer();
    expect(body.byteLength).toBeGreaterThan(100_000);
  }, 180_000);

  it('a job recovered after its worker died between recording and upload uploads the finished file, without recording again', async () => {
    // What a dead worker leaves behind: the finished recording and its metadata.json in the session directory.
    const sessionId = 'recovered-session-1';
    const dir = join(config.recordingsDir, sessionId);
    await mkdir(dir, { recursive: true });
    const made = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440',
      '-t',
      '5',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      join(dir, 'left-behind_2026-11-23-10-00-00.mp4'),
    ]);
    expect(made.status).toBe(0);
    await writeFile(
      join(dir, 'metadata.json'),
      JSON.stringify({
        meeting_url: 'http://127.0.0.1/left-behind',
        participants: [{ id: 'p1', name: 'Pat' }],
        scriba: {
          session_id: sessionId,
          status: 'finished',
          started_at: '2026-11-23T10:00:00.000Z',
          ended_at: '2026-11-23T10:00:05.000Z',
          duration_sec: 5,
          file: { name: 'left-behind_2026-11-23-10-00-00.mp4' },
        },
      }),
    );
    // The meeting never admits anyone: recording again would fail, so success proves the upload path.
    const job = parseJobRequest(
      { sessionId, meetingUrl: `${meeting.url}/left-behind?neverJoin=1`, file: true },
      { ...jobPolicy(config), allowHttp: true },
      () => sessionId,
    );
    await worker.queue.enqueue(job, { jobId: sessionId });
    expect(await waitUntil(() => uploadedEvents(sessionId).length === 1, 60_000)).toBe(true);
    expect(uploadedEvents(sessionId)[0]!.data).toMatchObject({
      participants: [{ id: 'p1', name: 'Pat', avatar: '' }],
      durationSec: 5,
      startTimestamp: Date.parse('2026-11-23T10:00:00.000Z'),
    });
    await waitUntil(() => worker.queue.get(sessionId).then((r) => r?.status === 'completed'), 10_000);
    expect((await worker.queue.get(sessionId))?.result).toMatchObject({ reason: 'recovered', key: expect.stringContaining(sessionId) });
    expect(await readdir(config.recordingsDir)).not.toContain(sessionId);
  }, 90_000);
});
