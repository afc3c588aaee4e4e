import { describe, expect, it } from 'vitest';
import { FIRST_SEGMENT, nextSegment, parseJobCheckpoint, segmentFacts } from '../../../src/jobs/job-checkpoint.ts';

describe('job checkpoints', () => {
  it('reads back what was saved, and nothing unusable', () => {
    const saved = {
      version: 1,
      segment: 2,
      earlier: [{ segment: 1, status: 'uploaded', key: 's/a.mp4', partial: true, reason: 'worker_lost' }],
      upload: { any: 1 },
      captureStartedAtMs: 5,
      transcript: { journal: 1 },
    };
    expect(parseJobCheckpoint(JSON.parse(JSON.stringify(saved)))).toEqual(saved);
    for (const bad of [null, 'x', {}, { version: 2, segment: 1 }, { version: 1, segment: 0 }, { version: 1, segment: 1.5 }]) {
      expect(parseJobCheckpoint(bad)).toBeNull();
    }
    expect(parseJobCheckpoint({ version: 1, segment: 1, earlier: [{ segment: 'x' }, 3] })).toEqual(FIRST_SEGMENT);
  });

  it('numbers segments: a salvaged or lost one moves on, one that left nothing keeps its number', () => {
    const recording = { ...FIRST_SEGMENT, upload: { parts: [] }, captureStartedAtMs: 1, transcript: { tail: [] } };
    expect(nextSegment(recording, null)).toEqual(FIRST_SEGMENT);
    const after = nextSegment(recording, { segment: 1, status: 'lost', key: null, partial: true, reason: 'gone' });
    expect(after).toMatchObject({
      segment: 2,
      upload: null,
      transcript: null,
      captureStartedAtMs: null,
      earlier: [{ segment: 1, status: 'lost' }],
    });
    expect(segmentFacts(FIRST_SEGMENT)).toBeNull();
    expect(segmentFacts(after)).toEqual({ segment: 2, earlier: after.earlier });
  });
});
