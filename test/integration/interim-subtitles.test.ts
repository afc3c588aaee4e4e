/**
 * Interim results as live subtitles, end to end: the synthetic meeting (3 speakers, real Chromium, tap and
 * WebRTC audio), a job run by the real processor with the `vosk` engine against the fake Vosk server
 * recognizing by voice activity, webhooks delivered to a local receiver. Interims reach the room (throttled,
 * then replaced by their phrase's final under the same message_id); two utterances end as Vosk ends noise
 * (partials, then an empty result), and their lines are cleared by an empty final under their message_id.
 * Transcript, `phrase` events and webhooks hold finals only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { jobPolicy } from '../../src/config/job-policy.ts';
import { parseJobRequest, type JobRequest } from '../../src/domain/job-request.ts';
import { processJob } from '../../src/jobs/job-processor.ts';
import { createSqliteQueue } from '../../src/queue/sqlite-queue.ts';
import type { RecordingSession } from '../../src/session/recording-session.ts';
import type { SessionPhrase } from '../../src/session/session-types.ts';
import { createWebhookService } from '../../src/webhooks/index.ts';
import { type FakeVosk, startFakeVosk } from '../helpers/fake-vosk-server.ts';
import { isAlive } from '../helpers/processes.ts';
import { memoryLogger, newSession, testConfig } from '../helpers/recording.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/** What the fake recognizes every utterance as; words found nowhere else in the transcript files. */
const TEXT = 'amber falcon crosses quiet violet harbor beneath seven copper lanterns';
const WORDS = TEXT.split(' ');

let meeting: DemoMeeting;
let vosk: FakeVosk;
let receiver: WebhookReceiver;
beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0, fixturesDir: await ensureFixtures() });
  vosk = await startFakeVosk({ voiceActivity: { text: TEXT, emptyUtterances: [1, 3] } });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.stop();
  await vosk?.close();
  await meeting?.close();
});

interface Subtitle {
  is_interim: boolean;
  stability: number;
  message_id: string;
  participant: { id: string };
  transcript: Array<{ text: string }>;
}

/** The page's `<json-message>`s, each with when the page received it (stamped by a hook on the page's list). */
function watchSubtitles(session: RecordingSession): { seen: Array<{ m: Subtitle; atMs: number | null }>; done: () => void } {
  const seen: Array<{ m: Subtitle; atMs: number | null }> = [];
  const hook = `(() => {
    const d = window.__scribaDemo;
    if (d.jsonAt) return;
    d.jsonAt = d.jsonMessages.map(() => null);
    const push = d.jsonMessages.push.bind(d.jsonMessages);
    d.jsonMessages.push = (...m) => (m.forEach(() => d.jsonAt.push(Date.now())), push(...m));
  })()`;
  const timer = setInterval(() => {
    const tab = session.inspectPage();
    if (!tab) return;
    tab
      .evaluate(`${hook}, { m: window.__scribaDemo.jsonMessages, at: window.__scribaDemo.jsonAt }`)
      .then((r) => {
        const { m, at } = r as { m: string[]; at: Array<number | null> };
        for (let i = seen.length; i < m.length; i++) seen.push({ m: JSON.parse(m[i]!) as Subtitle, atMs: at[i] ?? null });
      })
      .catch(() => undefined);
  }, 250);
  return { seen, done: () => clearInterval(timer) };
}

describe('interim subtitles on the synthetic meeting', () => {
  it('interims reach the room throttled and are replaced by their final, or cleared when none comes; transcript, phrases and webhooks hold finals only', async () => {
    const root = mkdtempSync(join(tmpdir(), 'scriba-interims-'));
    const config = testConfig({
      transcription: { engine: 'vosk', inMeetingSubtitles: true, vosk: { url: vosk.url } },
      webhooks: { urls: [receiver.url('/hooks')], allowPrivateAddresses: true, outboxPath: join(root, 'outbox.sqlite') },
      queue: { sqlitePath: join(root, 'queue.sqlite') },
    });
    const job = parseJobRequest(
      {
        sessionId: 'interims',
        meetingUrl: `${meeting.url}/acme/interims?participants=3`,
        transcription: { language: 'en-US' },
        maxDurationSec: 16,
      },
      { ...jobPolicy(config), allowHttp: true },
      () => 'interims',
    );
    const queue = createSqliteQueue<JobRequest>({ path: config.queue.sqlitePath });
    const { logger } = memoryLogger();
    const webhooks = createWebhookService(config.webhooks, { logger });
    const sending = new AbortController();
    webhooks.start(sending.signal);
    let session: RecordingSession | null = null;
    const phrases: SessionPhrase[] = [];
    let watched: ReturnType<typeof watchSubtitles> | null = null;
    try {
      const claimed = await queue.enqueueClaimed(job, { workerId: 'test', jobId: 'interims' });
      const outcome = await processJob(
        claimed,
        {
          queue,
          config,
          logger,
          createSession: (r) => {
            session = newSession(config, r, logger);
            session.on('phrase', (p) => phrases.push(p));
            watched = watchSubtitles(session);
            return session;
          },
          renewEveryMs: 5_000,
          publish: (e, extra) => webhooks.publish(e, extra),
        },
        new AbortController().signal,
      ).finally(() => watched?.done());
      expect(outcome.kind).toBe('completed');
      const result = (outcome as Extract<typeof outcome, { kind: 'completed' }>).result;
      expect(result.failure).toBeNull();
      await webhooks.flush();
      const { seen } = watched!;

      // The fake heard each speaker's turns over the meeting: partials, then results, protocol kept.
      expect(vosk.connections.length).toBeGreaterThanOrEqual(2);
      for (const c of vosk.connections) expect(c).toMatchObject({ violations: [], eof: true });

      // Interims in the room: word prefixes of the final, unstable, each under its phrase's final id.
      const phraseIds = new Set(phrases.map((p) => p.id));
      const interims = seen.filter((s) => s.m.is_interim);
      const finals = seen.filter((s) => !s.m.is_interim && s.m.transcript[0]!.text !== '');
      const cleared = seen.filter((s) => !s.m.is_interim && s.m.transcript[0]!.text === '');
      const clearedIds = new Set(cleared.map((c) => c.m.message_id));
      expect(interims.length).toBeGreaterThanOrEqual(2);
      for (const { m } of interims) {
        const words = m.transcript[0]!.text.split(' ');
        expect(words.length).toBeLessThan(WORDS.length);
        expect(words).toEqual(WORDS.slice(0, words.length));
        expect(m.stability).toBe(0);
        expect(phraseIds.has(m.message_id) || clearedIds.has(m.message_id)).toBe(true);
      }
      for (const { m } of finals) {
        expect(m.transcript[0]!.text).toBe(TEXT);
        expect(phraseIds.has(m.message_id)).toBe(true);
      }
      // At least one phrase went interim → final in the room: its final came after its interims, same id.
      const replaced = interims.filter((i) => finals.some((f) => f.m.message_id === i.m.message_id && seen.indexOf(f) > seen.indexOf(i)));
      expect(replaced.length).toBeGreaterThanOrEqual(1);
      // The noise utterances: each line of interims closed by one empty final under its id, which no phrase has.
      expect(vosk.connections.flatMap((c) => c.results).filter((r) => r === '')).toHaveLength(2);
      expect(cleared.length).toBeGreaterThanOrEqual(1);
      expect(cleared).toHaveLength(clearedIds.size);
      for (const { m } of cleared) {
        expect(m).toMatchObject({ is_interim: false, stability: 1 });
        expect(phraseIds.has(m.message_id)).toBe(false);
        expect(interims.some((i) => i.m.message_id === m.message_id)).toBe(true);
      }
      for (const f of [...finals, ...cleared]) {
        const last = seen.findLastIndex((s) => s.m.is_interim && s.m.message_id === f.m.message_id);
        expect(last).toBeLessThan(seen.indexOf(f));
      }

      // Throttled: a speaker's interims reach the page at least ~500 ms apart (the send is a CDP call, so a little less).
      const gaps: number[] = [];
      const bySpeaker = new Map<string, number[]>();
      for (const { m, atMs } of interims)
        if (atMs !== null) (bySpeaker.get(m.participant.id) ?? bySpeaker.set(m.participant.id, []).get(m.participant.id)!).push(atMs);
      for (const times of bySpeaker.values()) for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
      console.log(
        `subtitles: ${interims.length} interims, ${finals.length} finals, ${cleared.length} cleared, ${phrases.length} phrases;`,
        `interim gaps per speaker (ms): ${gaps.join(' ')}`,
      );
      expect(gaps.length).toBeGreaterThanOrEqual(1);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(450);

      // Finals only everywhere else: phrase events, the transcript files, the webhooks.
      expect(phrases.length).toBeGreaterThanOrEqual(2);
      for (const p of phrases) expect(p.text).toBe(TEXT);
      const files = result.transcript!.files;
      const json = JSON.parse(readFileSync(files.json, 'utf8')) as { events: Array<{ event: string; text: string }> };
      const speech = json.events.filter((e) => e.event === 'SPEECH');
      expect(speech.map((e) => e.text)).toEqual(phrases.map(() => TEXT));
      for (const f of [files.txt, files.vtt]) {
        // VTT wraps a cue's text over lines.
        const text = readFileSync(f, 'utf8').replace(/\s+/g, ' ');
        expect(text.split(TEXT).length - 1).toBe(phrases.length);
        // No interim's words outside the finals' text.
        const rest = text.replaceAll(TEXT, '').toLowerCase();
        for (const w of WORDS) expect(rest).not.toContain(w);
      }
      type Hook = { eventType: string; data: { final?: string; messageID?: string } };
      const hooks = receiver.acknowledged().map((r) => JSON.parse(r.rawBody) as Hook);
      const chunks = hooks.filter((h) => h.eventType === 'TRANSCRIPTION_CHUNK_RECEIVED');
      expect(chunks.map((h) => h.data.messageID).sort()).toEqual([...phraseIds].sort());
      for (const h of chunks) expect(h.data.final).toBe(TEXT);
      expect((session as RecordingSession | null)!.pids().filter(isAlive)).toEqual([]);
    } finally {
      sending.abort();
      await webhooks.close();
      await queue.close();
    }
  }, 60_000);
});
