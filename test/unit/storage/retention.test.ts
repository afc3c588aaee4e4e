import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.ts';
import { createLocalStore } from '../../../src/storage/local-store.ts';
import { ageSec, isExpired, newestMtimeMs, retentionHorizonMs } from '../../../src/storage/retention-policy.ts';
import { sweepExpired, type DeletedArtifact, type SweepOptions } from '../../../src/storage/retention.ts';
import { scheduleRetention } from '../../../src/storage/retention-schedule.ts';
import { MemoryStore } from './memory-store.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY_SEC = 86_400;

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('retention policy (pure)', () => {
  const now = 1_700_000_000_000;
  it.each([
    ['just written', now, false],
    ['23 h 59 min old', now - 23 * HOUR - 59 * MIN, false],
    ['23 h 59 min 59.999 s old', now - DAY_SEC * 1000 + 1, false],
    ['exactly 24 h old', now - DAY_SEC * 1000, true],
    ['24 h and a bit', now - DAY_SEC * 1000 - 1, true],
    ['a week old', now - 7 * 24 * HOUR, true],
    ['in the future (clock went back)', now + HOUR, false],
    ['unknown (NaN)', Number.NaN, false],
    ['empty directory (-Infinity)', -Infinity, false],
  ])('%s → expired: %s', (_label, modified, expired) => {
    expect(isExpired(modified, now, DAY_SEC)).toBe(expired);
  });

  it('computes the horizon, ages and a tree’s newest mtime', () => {
    expect(retentionHorizonMs(now, 3600)).toBe(now - HOUR);
    expect(ageSec(now - 90_500, now)).toBe(90);
    expect(ageSec(now + 5_000, now)).toBe(0);
    expect(newestMtimeMs([3, 9, 1])).toBe(9);
    expect(newestMtimeMs([])).toBe(-Infinity);
  });
});

describe('sweepExpired', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'scriba-retention-'));
    dirs.push(d);
    return d;
  }

  /** A recordings dir with session directories written "now" (t0). */
  function recordings(): { dir: string; t0: number } {
    const dir = join(tempDir(), 'recordings');
    for (const s of ['s1', 's2']) {
      mkdirSync(join(dir, s), { recursive: true });
      writeFileSync(join(dir, s, 'Room_2024.mp4'), 'media');
      writeFileSync(join(dir, s, 'metadata.json'), '{}');
    }
    writeFileSync(join(dir, 'stray.log'), 'x');
    return { dir, t0: Date.now() };
  }

  function sweep(atMs: number, extra: Partial<SweepOptions> = {}) {
    return sweepExpired({ stores: [], localDirs: [], now: () => atMs, logger: createLogger({ level: 'silent' }), ...extra });
  }

  it('keeps local artifacts for 23 h 59 min and deletes them after 24 h, by their newest file', async () => {
    const { dir, t0 } = recordings();
    // s2 was still written two hours later (a long recording): it counts from then.
    const later = new Date(t0 + 2 * HOUR);
    utimesSync(join(dir, 's2', 'Room_2024.mp4'), later, later);

    const deleted: DeletedArtifact[] = [];
    const early = await sweep(t0 + 23 * HOUR + 59 * MIN, { localDirs: [dir], onDeleted: (a) => deleted.push(a) });
    expect(early).toEqual({ deletedObjects: 0, abortedUploads: 0, deletedLocal: 0, kept: 3, errors: 0 });
    expect(readdirSync(dir).sort()).toEqual(['s1', 's2', 'stray.log']);

    const day = await sweep(t0 + 24 * HOUR + 1_000, { localDirs: [dir], onDeleted: (a) => deleted.push(a) });
    expect(day).toMatchObject({ deletedLocal: 2, kept: 1, errors: 0 });
    expect(readdirSync(dir)).toEqual(['s2']);
    expect(deleted.map((d) => (d.kind === 'local' ? d.path : '')).sort()).toEqual([join(dir, 's1'), join(dir, 'stray.log')]);

    await sweep(t0 + 26 * HOUR + 1_000, { localDirs: [dir] });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves nothing behind after a crash between upload and local delete', async () => {
    const { dir, t0 } = recordings();
    const store = createLocalStore({ root: join(tempDir(), 'store'), publicBaseUrl: '', linkSecret: '' });
    await store.put('s1/Room_2024.mp4', { bytes: Buffer.from('media') }); // uploaded, local copy never removed
    const orphan = await store.createMultipart('s2/Room_2024.mp4'); // a worker died mid-upload
    await orphan.uploadPart(1, Buffer.from('partial'));
    const { logger, lines } = capturingLogger();

    const report = await sweepExpired({ stores: [store], localDirs: [dir], now: () => t0 + 24 * HOUR + 1_000, logger });
    expect(report).toEqual({ deletedObjects: 1, abortedUploads: 1, deletedLocal: 3, kept: 0, errors: 0 });
    expect(await store.list('')).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    const messages = lines.map((l) => l['msg']);
    expect(messages.filter((m) => m === 'retention: deleted object')).toHaveLength(1);
    expect(messages.filter((m) => m === 'retention: deleted local artifact')).toHaveLength(3);
    const line = lines.find((l) => l['msg'] === 'retention: deleted object');
    expect(line).toMatchObject({ key: 's1/Room_2024.mp4', store: store.description });
    expect(line?.['ageSec']).toBeGreaterThanOrEqual(86_400);
    await orphan.abort();
  });

  it('is safe with several sweepers at once', async () => {
    const { dir, t0 } = recordings();
    const store = createLocalStore({ root: join(tempDir(), 'store'), publicBaseUrl: '', linkSecret: '' });
    for (let i = 0; i < 20; i += 1) await store.put(`s${i}/a/b/video.mp4`, { bytes: Buffer.from(String(i)) });
    const at = t0 + 25 * HOUR;
    const reports = await Promise.all([1, 2, 3].map(() => sweep(at, { stores: [store], localDirs: [dir] })));
    expect(reports.map((r) => r.errors)).toEqual([0, 0, 0]);
    expect(reports.reduce((n, r) => n + r.deletedObjects, 0)).toBeGreaterThanOrEqual(20);
    expect(await store.list('')).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(store.root).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('removes a symlink in a recordings dir, never what it points to', async () => {
    const dir = join(tempDir(), 'recordings');
    const outside = tempDir();
    mkdirSync(dir);
    writeFileSync(join(outside, 'keep.txt'), 'keep');
    symlinkSync(outside, join(dir, 'link'));
    await sweep(Date.now() + 25 * HOUR, { localDirs: [dir] });
    expect(existsSync(join(dir, 'link'))).toBe(false);
    expect(existsSync(join(outside, 'keep.txt'))).toBe(true);
  });

  it('counts failures and goes on: a store that is down, a filesystem root', async () => {
    const { dir, t0 } = recordings();
    const store = new MemoryStore();
    store.down = true;
    const { logger, lines } = capturingLogger();
    const report = await sweepExpired({ stores: [store], localDirs: ['/', dir], now: () => t0 + 25 * HOUR, logger });
    expect(report).toMatchObject({ deletedLocal: 3, errors: 3 });
    expect(lines.filter((l) => l['level'] === 50).map((l) => l['msg'])).toEqual([
      'retention: cannot list the store',
      'retention: cannot discard incomplete uploads',
      'retention: bad recordings directory',
    ]);
  });

  it('refuses a retention below a minute and a missing dir is fine', async () => {
    await expect(sweep(Date.now(), { retentionSec: 0 })).rejects.toThrow(RangeError);
    await expect(sweep(Date.now(), { localDirs: [join(tmpdir(), 'scriba-no-such-dir')] })).resolves.toMatchObject({ errors: 0 });
  });
});

describe('scheduleRetention', () => {
  it('sweeps on its cron schedule until the signal aborts, one sweep at a time', async () => {
    const controller = new AbortController();
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const { stopped } = scheduleRetention({
      cron: '* * * * * *', // every second
      runOnStart: true,
      signal: controller.signal,
      sweep: async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 1_500)); // longer than the period: ticks are skipped
        concurrent -= 1;
        if (runs === 1) throw new Error('store down'); // a failed sweep does not stop the schedule
      },
    });
    await new Promise((r) => setTimeout(r, 3_300));
    controller.abort();
    await stopped;
    const after = runs;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(after).toBeGreaterThanOrEqual(2);
    expect(runs).toBe(after);
    expect(maxConcurrent).toBe(1);
  });

  it('refuses an invalid expression', () => {
    expect(() =>
      scheduleRetention({ cron: 'every ten minutes', sweep: async () => undefined, signal: new AbortController().signal }),
    ).toThrow(RangeError);
  });
});
