import { describe, expect, it } from 'vitest';
import { formatFileTimestamp, recordingFileName, recordingPaths, sanitizeSessionId } from '../../../src/domain/output-naming.ts';

const at = new Date(Date.UTC(2026, 10, 3, 4, 5, 6));

describe('output naming', () => {
  it('formats UTC timestamps', () => {
    expect(formatFileTimestamp(at)).toBe('2026-11-03-04-05-06');
  });
  it('sanitizes session ids to [A-Za-z0-9_-]', () => {
    expect(sanitizeSessionId('a/b..c d-é_1')).toBe('a_b__c_d-__1');
    expect(sanitizeSessionId('')).toBe('session');
  });
  it('keeps letters of any script and replaces the rest', () => {
    expect(recordingFileName('Réunion équipe/../x', at)).toBe('Réunion_équipe____x_2026-11-03-04-05-06.mp4');
  });
  it('caps the file name at 125 characters', () => {
    const name = recordingFileName('r'.repeat(300), at);
    expect(name).toHaveLength(125);
    expect(name.endsWith('_2026-11-03-04-05-06.mp4')).toBe(true);
  });
  it('builds <dir>/<sessionId>/<room>_<ts>.mp4 and metadata.json beside it', () => {
    expect(recordingPaths('/rec/', 'abc-1', 'room1', at)).toEqual({
      sessionDir: '/rec/abc-1',
      mediaFile: '/rec/abc-1/room1_2026-11-03-04-05-06.mp4',
      metadataFile: '/rec/abc-1/metadata.json',
    });
  });
});
