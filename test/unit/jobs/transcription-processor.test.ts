/** processJob for a transcription-only job: chunk webhooks as phrases come, the transcript stored and linked. */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { parseJobRequest, type JobRequest } from '../../../src/domain/job-request.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { processJob, type ProcessableSession } from '../../../src/jobs/job-processor.ts';
import type { JobQueue } from '../../../src/queue/job-queue.ts';
import type { StorageDeps } from '../../../src/jobs/upload-phase.ts';
import type { RecordingRequest, SessionResult } from '../../../src/session/session-types.ts';
import type { ObjectStore } from '../../../src/storage/object-store.ts';
import type { WebhookEventInput } from '../../../src/webhooks/webhook-event.ts';

const policy = {
  allowedMeetingHosts: ['*'],
  allowedStreamHosts: ['*'],
  allowHttp: false,
  defaultMaxDurationSec: 60,
  maxDurationCapSec: 60,
};

describe('processJob with transcription', () => {
  it('publishes TRANSCRIPTION_CHUNK_RECEIVED per phrase, stores the three files, publishes TRANSCRIPTION_UPLOADED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scriba-tx-proc-'));
    const files = { json: join(dir, 'r_1.transcript.json'), txt: join(dir, 'r_1.transcript.txt'), vtt: join(dir, 'r_1.transcript.vtt') };
    for (const f of Object.values(files)) await writeFile(f, 'x');
    const job: JobRequest = parseJobRequest(
      { meetingUrl: 'https://meet.example.com/r', transcription: { language: 'en-GB' } },
      policy,
      () => 's1',
    );
    const put: string[] = [];
    const store = {
      minPartSize: 5 * 1024 * 1024,
      maxParts: 10_000,
      put: async (key: string) => (put.push(key), { key, size: 1, sha256: '' }),
      link: async (key: string, ttl: number) => `https://store.example/${key}?ttl=${ttl}`,
    } as unknown as ObjectStore;
    // The transcript journal uploads with these too (nothing reaches the store in a session this short).
    const storage = {
      store,
      linkTtlSec: 86_400,
      partSizeBytes: 8 * 1024 * 1024,
      retryInitialMs: 10,
      retryMaxMs: 100,
      retentionSec: 3600,
    } as unknown as StorageDeps;
    const completed: unknown[] = [];
    const queue = {
      renew: async () => true,
      complete: async (_id: string, _t: string, r: unknown) => (completed.push(r), true),
      fail: async () => true,
      onStopRequested: () => () => undefined,
    } as unknown as JobQueue<JobRequest>;
    let asked: RecordingRequest | null = null;
    const published: WebhookEventInput[] = [];
    const createSession = (req: RecordingRequest): ProcessableSession => {
      asked = req;
      const ev = new EventEmitter();
      return {
        on: (e: string, l: (...a: unknown[]) => void) => ev.on(e, l),
        stop: () => undefined,
        run: async () => {
          ev.emit('phrase', {
            id: 'p-1',
            speaker: { id: 'a', name: 'Alice' },
            startSec: 1,
            endSec: 2,
            text: 'hello',
            confidence: 0.5,
            language: 'en-GB',
          });
          return {
            sessionId: 's1',
            status: 'finished',
            reason: 'max_duration',
            failure: null,
            file: null,
            metadataFile: null,
            stream: null,
            durationSec: 5,
            startedAt: null,
            endedAt: new Date().toISOString(),
            participants: [],
            transcript: { files, phrases: 1 },
          } satisfies SessionResult;
        },
      } as ProcessableSession;
    };
    const outcome = await processJob(
      { id: 'j1', data: job, attempts: 1, enqueuedAtMs: Date.now(), token: 't', checkpoint: null },
      {
        queue,
        config: loadConfig({ env: {} }),
        logger: createLogger({ level: 'silent' }),
        createSession,
        renewEveryMs: 60_000,
        storage,
        publish: async (e) => void published.push(e),
      },
      new AbortController().signal,
    );
    expect(outcome.kind).toBe('completed');
    expect(completed).toEqual([
      expect.objectContaining({
        path: null,
        transcript: { key: 's1/r_1.transcript.json', link: expect.stringContaining('s1/r_1.transcript.json') },
      }),
    ]);
    expect(asked!).toMatchObject({ outputs: [{ kind: 'transcription', language: 'en-GB' }] });
    expect(published.map((e) => e.eventType)).toEqual(['TRANSCRIPTION_CHUNK_RECEIVED', 'TRANSCRIPTION_UPLOADED']);
    expect(published[0]!.data).toMatchObject({ final: 'hello', messageID: 'p-1', participant: { id: 'a', name: 'Alice' } });
    expect(published[1]!.data).toEqual({ preAuthenticatedLink: 'https://store.example/s1/r_1.transcript.json?ttl=86400' });
    expect(put).toEqual(['s1/r_1.transcript.json', 's1/r_1.transcript.txt', 's1/r_1.transcript.vtt']);
    await expect(readdir(dir)).rejects.toThrow(); // local copies (and the emptied directory) removed
  });
});
