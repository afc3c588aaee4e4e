import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { parseJobRequest } from '../../../src/domain/job-request.ts';
import { toRecordingRequest } from '../../../src/jobs/job-processor.ts';
import { transcriptKeys } from '../../../src/jobs/transcript-upload.ts';

const policy = {
  allowedMeetingHosts: ['*'],
  allowedStreamHosts: ['*'],
  allowHttp: false,
  defaultMaxDurationSec: 60,
  maxDurationCapSec: 60,
};
const config = loadConfig({ env: {} });

describe('transcription jobs', () => {
  it('pass the language through to the session; without file or stream nothing is recorded', () => {
    const only = toRecordingRequest(
      parseJobRequest({ meetingUrl: 'https://meet.example.com/r', transcription: { language: 'en-GB' } }, policy, () => 's1'),
      config,
    );
    expect(only).toMatchObject({ outputs: [{ kind: 'transcription', language: 'en-GB' }] });
    const both = toRecordingRequest(
      parseJobRequest({ meetingUrl: 'https://meet.example.com/r', file: true, transcription: true }, policy, () => 's2'),
      config,
    );
    expect(both).toMatchObject({ outputs: [{ kind: 'file' }, { kind: 'transcription', language: 'en-US' }] });
    const none = toRecordingRequest(
      parseJobRequest({ meetingUrl: 'https://meet.example.com/r', file: true }, policy, () => 's3'),
      config,
    );
    expect(none).toMatchObject({ outputs: [{ kind: 'file' }] });
  });
  it('store the transcript files under the session id', () => {
    expect(
      transcriptKeys('a/b', { json: '/r/x/r_1.transcript.json', txt: '/r/x/r_1.transcript.txt', vtt: '/r/x/r_1.transcript.vtt' }),
    ).toEqual({
      json: 'a_b/r_1.transcript.json',
      txt: 'a_b/r_1.transcript.txt',
      vtt: 'a_b/r_1.transcript.vtt',
    });
  });
});
