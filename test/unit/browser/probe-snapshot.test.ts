import { describe, expect, it } from 'vitest';
import { parseParticipants, parseProbeSnapshot, unknownSnapshot } from '../../../src/browser/probe-snapshot.ts';

describe('probe snapshot parsing', () => {
  it('keeps well-typed values', () => {
    expect(
      parseProbeSnapshot({ joined: true, participantCount: 3, downloadKbps: 512.5, iceConnected: false, allMuted: false, e2ee: false }),
    ).toEqual({
      joined: true,
      participantCount: 3,
      downloadKbps: 512.5,
      iceConnected: false,
      allMuted: false,
      e2ee: false,
      pageResponsive: true,
    });
  });

  it('turns malformed or missing values into unknown', () => {
    expect(parseProbeSnapshot({ joined: 'yes', participantCount: -1, downloadKbps: Number.NaN, iceConnected: null, allMuted: 1 })).toEqual(
      unknownSnapshot(true),
    );
    expect(parseProbeSnapshot({ participantCount: 2.5, downloadKbps: -3 })).toEqual(unknownSnapshot(true));
    expect(parseProbeSnapshot(null)).toEqual(unknownSnapshot(true));
    expect(parseProbeSnapshot('boom')).toEqual(unknownSnapshot(true));
  });

  it('an unresponsive snapshot is all unknown', () => {
    expect(unknownSnapshot(false)).toEqual({
      joined: null,
      participantCount: null,
      downloadKbps: null,
      iceConnected: null,
      allMuted: null,
      e2ee: null,
      pageResponsive: false,
    });
  });
});

describe('participant parsing', () => {
  it('keeps id, name and the hidden-from-recorder flag; drops junk and duplicates', () => {
    expect(
      parseParticipants([
        { id: 'a1', name: 'Alice', hiddenFromRecorder: false },
        { id: 'b2', name: '', hiddenFromRecorder: true },
        { id: 'a1', name: 'Alice again' },
        { id: 7, name: 'no id' },
        null,
        'junk',
        { id: 'c3', name: 'x'.repeat(300) },
      ]),
    ).toEqual([
      { id: 'a1', name: 'Alice', hiddenFromRecorder: false },
      { id: 'b2', name: null, hiddenFromRecorder: true },
      { id: 'c3', name: 'x'.repeat(256), hiddenFromRecorder: false },
    ]);
  });

  it('null when not a list', () => {
    expect(parseParticipants(null)).toBeNull();
    expect(parseParticipants({ id: 'a' })).toBeNull();
  });
});
