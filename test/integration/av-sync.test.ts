/**
 * A/V synchronisation of a real recording (Chromium on Xvfb + PulseAudio, ffmpeg, the file sink) of the
 * synthetic meeting's sync tile: a flash and a 1 kHz beep that are simultaneous in the source. On a quiet
 * machine the offset is within ±30 ms; the bound allows for a 2-core machine loaded by other tests (Chromium
 * then presents frames late: up to ~130 ms measured) and for the 33 ms steps of a 30 fps picture, and still
 * catches the errors fixed in the capture (B-frames presented 2+ frames late and the audio cut 0.4 s short:
 * −150 ms and more). bench/capture.ts reports the exact figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoMeeting, type DemoMeeting } from '../../src/demo-meeting/demo-meeting-server.ts';
import { streamEnds, syncTileOffset } from '../../bench/lib/sync-tile.ts';
import { newSession, request, testConfig } from '../helpers/recording.ts';

let meeting: DemoMeeting;

beforeAll(async () => {
  meeting = await startDemoMeeting({ port: 0 });
});
afterAll(async () => {
  await meeting?.close();
});

describe('A/V sync', () => {
  it('keeps the sync tile flash and its beep together (|offset| ≤ 150 ms) and ends audio with video (≤ 100 ms)', async () => {
    // 21 s: the clip's 300 ms marker pulse comes once per 18 s cycle and anchors the measurement.
    const session = newSession(testConfig(), request(`${meeting.url}/sync?participants=2`, 'rec-sync', { maxDurationSec: 21 }));
    const result = await session.run();
    expect(result.failure).toBeNull();
    const path = result.file!.path;
    // Anchored by the 300 ms marker; if a loaded machine broke that flash up, nearest pairs within ±0.5 s.
    const sync = await syncTileOffset(path, { width: 1280, height: 720 }, 0.5);
    expect(sync.pairs, JSON.stringify(sync)).toBeGreaterThanOrEqual(15);
    expect(sync.offsetMs, JSON.stringify(sync)).not.toBeNull();
    expect(Math.abs(sync.offsetMs!), JSON.stringify(sync)).toBeLessThanOrEqual(150);
    // Printed for the record: the bound above is loose, the value is what matters.
    process.stderr.write(`A/V offset ${sync.offsetMs} ms over ${sync.pairs} pulses\n`);
    const ends = await streamEnds(path);
    expect(Math.abs(ends.audio - ends.video), JSON.stringify(ends)).toBeLessThanOrEqual(0.1);
  }, 120_000);
});
