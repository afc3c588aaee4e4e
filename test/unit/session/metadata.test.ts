import { describe, expect, it } from 'vitest';
import { buildMetadata, publicMeetingUrl } from '../../../src/session/metadata.ts';

const target = { baseUrl: 'https://meet.example.com', tenant: 'acme', room: 'Réunion 1', jwt: 'secret.jwt.value', query: 'x=1' };

describe('metadata.json', () => {
  it('names the meeting without its JWT, query or hash', () => {
    expect(publicMeetingUrl(target)).toBe('https://meet.example.com/acme/R%C3%A9union%201');
  });
  it('puts file_recording_metadata keys at top level, ours last so they cannot be overwritten', () => {
    const m = buildMetadata({
      target,
      participants: [{ id: 'p1', name: 'Alice' }],
      fileRecordingMetadata: { share: true, meeting_url: 'spoofed', upload_credentials: { token: 't' } },
      scriba: { session_id: 's1' },
    });
    expect(m).toEqual({
      share: true,
      upload_credentials: { token: 't' },
      meeting_url: 'https://meet.example.com/acme/R%C3%A9union%201',
      participants: [{ id: 'p1', name: 'Alice' }],
      scriba: { session_id: 's1' },
    });
  });
  it('names the live view page of a YouTube broadcast; a request cannot spoof it', () => {
    const m = buildMetadata({
      target,
      participants: [],
      fileRecordingMetadata: { live_view_url: 'https://evil.example' },
      liveViewUrl: 'https://youtube.com/watch?v=b1',
      scriba: {},
    });
    expect(m['live_view_url']).toBe('https://youtube.com/watch?v=b1');
    expect(buildMetadata({ target, participants: [], fileRecordingMetadata: {}, liveViewUrl: null, scriba: {} })).not.toHaveProperty(
      'live_view_url',
    );
  });
});
