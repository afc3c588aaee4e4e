import { describe, expect, it } from 'vitest';
import { parseStartRequest } from '../../../src/api/start-request.ts';
import type { JobPolicy } from '../../../src/domain/job-request.ts';

const policy: JobPolicy = {
  allowedMeetingHosts: ['meet.example.com'],
  allowedStreamHosts: ['a.rtmp.youtube.com', 'live.example.com'],
  allowHttp: false,
  defaultMaxDurationSec: 3600,
  maxDurationCapSec: 21600,
};
const parse = (body: unknown) => parseStartRequest(body, policy, () => 'new-id');

describe('parseStartRequest', () => {
  it('takes Jitsi startRecording options: file mode with extraMetadata and shouldShare', () => {
    const { job, webhookUrl } = parse({
      meetingUrl: 'https://meet.example.com/standup',
      mode: 'file',
      extraMetadata: { course: 'c1' },
      shouldShare: true,
    });
    expect(job.outputs).toEqual([{ kind: 'file', resolution: '720p' }]);
    expect(job.metadata).toEqual({ course: 'c1', share: true });
    expect(webhookUrl).toBeNull();
  });
  it('takes a YouTube key and broadcast id in stream mode', () => {
    const { job } = parse({
      meetingUrl: 'https://meet.example.com/standup',
      mode: 'stream',
      youtubeStreamKey: 'abcd-1234',
      youtubeBroadcastID: 'xyz',
    });
    expect(job.outputs).toEqual([{ kind: 'stream', url: 'rtmp://a.rtmp.youtube.com/live2/abcd-1234', youtubeBroadcastId: 'xyz' }]);
  });
  it('takes the job model itself, combined outputs and a webhook URL', () => {
    const { job, webhookUrl } = parse({
      meetingUrl: 'https://meet.example.com/acme/standup',
      file: { resolution: '1080p' },
      stream: { streamId: 'rtmps://live.example.com/app/key' },
      transcription: true,
      webhookUrl: 'https://hooks.example.com/scriba',
    });
    expect(job.outputs.map((o) => o.kind)).toEqual(['file', 'stream', 'transcription']);
    expect(job.target).toMatchObject({ tenant: 'acme', room: 'standup' });
    expect(webhookUrl).toBe('https://hooks.example.com/scriba');
  });
  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'video' }, /mode/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'stream' }, /rtmpStreamKey or youtubeStreamKey/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'file', shouldShare: 'yes' }, /shouldShare/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'file', extraMetadata: [1] }, /extraMetadata/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'file', initiator: { id: 'x' } }, /initiator: set from the token/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'file', colour: 'red' }, /colour|unrecognized|Unrecognized/],
    [{ meetingUrl: 'https://evil.example.org/r', mode: 'file' }, /not allowed/],
    [{ meetingUrl: 'file:///etc/passwd', mode: 'file' }, /meeting URL/],
    [{ meetingUrl: 'javascript:alert(1)', mode: 'file' }, /meeting URL/],
    [{ meetingUrl: 'data:text/html,hi', mode: 'file' }, /meeting URL/],
    [{ meetingUrl: 'https://meet.example.com/../etc', mode: 'file' }, /meeting URL|room/],
    [{ meetingUrl: 'https://meet.example.com/a%0Ab', mode: 'file' }, /control characters/],
    [{ meetingUrl: 'https://meet.example.com/r', mode: 'stream', rtmpStreamKey: 'rtmp://evil.example.org/live/k' }, /not allowed/],
    [{ meetingUrl: 'https://meet.example.com/r' }, /at least one/],
  ])('refuses %j with a clear message', (body, message) => {
    expect(() => parse(body)).toThrow(message);
  });
});
