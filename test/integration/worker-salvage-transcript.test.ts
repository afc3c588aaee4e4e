/**
 * A worker pod dies mid-recording of a transcribed session (SIGKILL of its whole process tree): the phrases
 * it had recognized up to a few seconds before are not lost. Another worker salvages segment 1's transcript
 * from the journal checkpointed in the job, announces it (TRANSCRIPTION_UPLOADED, segment 1, partial), and
 * records and transcribes segment 2. Real Redis (BullMQ), s3rver, pocketsphinx, two real worker processes.
 */
import { describe, expect, it } from 'vitest';
import type { CliProcess } from '../helpers/cli.ts';
import { usePodStack, type PodEvent } from '../helpers/pod-stack.ts';
import { killTree, waitUntil } from '../helpers/processes.ts';

const stack = usePodStack('scriba-salvage-transcript');
const { startWorker, eventsOf } = stack;
type Event = PodEvent;
const enqueue = (sessionId: string, seconds: number) => stack.enqueue(sessionId, seconds, { participants: 3, transcription: true });

type Chunk = { text: string; atMs: number };
/** The phrases a worker sent as TRANSCRIPTION_CHUNK_RECEIVED, with when they arrived. */
const chunksFrom = (name: string, sessionId: string): Chunk[] =>
  stack.receiver
    .acknowledged()
    .filter((r) => r.path === `/hooks/${name}`)
    .map((r) => ({ event: JSON.parse(r.rawBody) as Event, atMs: r.atMs }))
    .filter(({ event }) => event.sessionId === sessionId && event.eventType === 'TRANSCRIPTION_CHUNK_RECEIVED')
    .map(({ event, atMs }) => ({ text: event.data['final'] as string, atMs }));

describe('a worker killed mid-session while transcribing', () => {
  it("salvages segment 1's transcript with the phrases said before the kill, then transcribes segment 2", {
    timeout: 240_000,
  }, async () => {
    const id = 'salvage-tx';
    await enqueue(id, 20);
    const a = startWorker('ta');
    let b: CliProcess | null = null;
    try {
      expect(await waitUntil(() => a.stderr().includes('session running'), 60_000), a.stderr()).toBe(true);
      const runningAt = Date.now();
      // A few phrases, and long enough after them for the journal's checkpoints (every 3 s) to cover them.
      expect(await waitUntil(() => chunksFrom('ta', id).length >= 3 && Date.now() - runningAt > 18_000, 60_000)).toBe(true);
      const killedAt = Date.now();
      expect(await killTree(a.child.pid!)).toBe(true);
      const before = chunksFrom('ta', id);
      // Sent at least a checkpoint interval plus a poll before the kill: in the journal on the store.
      const covered = before.filter((c) => c.atMs < killedAt - 6_000);
      expect(covered.length).toBeGreaterThan(0);
      b = startWorker('tb');
      expect(await waitUntil(async () => (await stack.queue.get(id))?.status === 'completed', 150_000), b.stderr()).toBe(true);
      const uploaded = (): Event[] => eventsOf(id).filter((e) => e.eventType === 'TRANSCRIPTION_UPLOADED');
      expect(await waitUntil(() => uploaded().length === 2, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // no late duplicates
      const first = uploaded().filter((e) => e.data['segment'] === 1);
      expect(first).toHaveLength(1);
      expect(first[0]!.data).toMatchObject({ partial: true, reason: 'worker_lost' });
      const res = await fetch(first[0]!.data['preAuthenticatedLink'] as string);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { room_name: string; events: Array<{ event: string; text?: string }> };
      expect(doc.room_name).toBe(id);
      const texts = doc.events.filter((e) => e.event === 'SPEECH').map((e) => e.text);
      for (const c of covered) expect(texts).toContain(c.text);
      // Nothing in it that worker a never said.
      for (const t of texts) expect(before.map((c) => c.text)).toContain(t);
      // Segment 2 has its own transcript, as any session does.
      const second = uploaded().filter((e) => e.data['segment'] === 2);
      expect(second).toHaveLength(1);
      expect(second[0]!.data['partial']).toBe(false);
      expect(second[0]!.data['preAuthenticatedLink']).toMatch(/transcript\.json/);
      const recorded = eventsOf(id).filter((e) => e.eventType === 'RECORDING_UPLOADED');
      expect(recorded.map((e) => e.data['segment']).sort()).toEqual([1, 2]);
      expect(eventsOf(id).filter((e) => e.eventType === 'RECORDING_FAILED')).toEqual([]);
      const record = await stack.queue.get(id);
      expect(record?.result).toMatchObject({ segment: 2, segments: [{ segment: 1, status: 'uploaded', partial: true }] });
    } finally {
      if (a.child.exitCode === null) await killTree(a.child.pid!);
      if (b && b.child.exitCode === null) await killTree(b.child.pid!);
    }
  });
});
