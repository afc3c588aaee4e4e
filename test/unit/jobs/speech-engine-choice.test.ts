import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { parseJobRequest } from '../../../src/domain/job-request.ts';
import { toRecordingRequest } from '../../../src/jobs/job-processor.ts';
import { enabledSpeechEngines, jobPolicy } from '../../../src/config/job-policy.ts';
import { createSpeechEngine } from '../../../workers/recorder.ts';
import { createLogger } from '../../../src/log/logger.ts';

const logger = createLogger({ level: 'silent' });
const request = (transcription: unknown) => ({ meetingUrl: 'https://meet.example.com/r', transcription });

describe('choosing a speech engine per request', () => {
  const config = loadConfig({ env: { SCRIBA_TRANSCRIPTION_ENABLED_ENGINES: 'openai vosk', SCRIBA_ALLOWED_MEETING_HOSTS: '*' } });
  const policy = jobPolicy(config);

  it('allows the deployment’s engine and the enabled ones, nothing else', () => {
    expect(enabledSpeechEngines(config)).toEqual(['pocketsphinx', 'openai', 'vosk']);
    expect(policy.speechEngines).toEqual(['pocketsphinx', 'openai', 'vosk']);
    const job = parseJobRequest(request({ language: 'de-DE', engine: 'openai' }), policy, () => 's1');
    expect(toRecordingRequest(job, config)).toMatchObject({ outputs: [{ kind: 'transcription', language: 'de-DE', engine: 'openai' }] });
    expect(
      toRecordingRequest(
        parseJobRequest(request(true), policy, () => 's2'),
        config,
      ),
    ).toMatchObject({ outputs: [{ kind: 'transcription', language: 'en-US' }] });
    expect(() => parseJobRequest(request({ engine: 'google' }), policy, () => 's3')).toThrow(
      /transcription\.engine: "google" is not enabled on this deployment \(enabled: pocketsphinx, openai, vosk\)/,
    );
    expect(() => parseJobRequest(request({ engine: 'Not An Engine' }), policy, () => 's4')).toThrow(/speech engine name/);
    const { speechEngines: _ignored, ...strict } = policy;
    expect(() => parseJobRequest(request({ engine: 'pocketsphinx' }), strict, () => 's5')).toThrow(/none to choose from/);
  });

  it('builds only enabled engines, and says which setting a remote engine lacks', async () => {
    await expect(createSpeechEngine(config, logger, 'google')).rejects.toThrow(/"google" is not enabled/);
    await expect(createSpeechEngine(config, logger, 'openai')).rejects.toThrow(/transcription\.openai\.baseUrl \(SCRIBA_OPENAI_BASE_URL\)/);
    await expect(createSpeechEngine(config, logger, 'vosk')).rejects.toThrow(/transcription\.vosk\.url \(SCRIBA_VOSK_URL\)/);
    const sherpa = loadConfig({ env: { SCRIBA_TRANSCRIPTION_ENGINE: 'sherpa' } });
    await expect(createSpeechEngine(sherpa, logger)).rejects.toThrow(/transcription\.sherpa\.modelDir/);
    const vosk = await createSpeechEngine(
      loadConfig({ env: { SCRIBA_TRANSCRIPTION_ENGINE: 'vosk', SCRIBA_VOSK_URL: 'ws://127.0.0.1:9/' } }),
      logger,
    );
    expect(vosk.name).toBe('vosk');
    await vosk.close();
  });

  it('reads the remote engines’ settings from the environment', () => {
    const c = loadConfig({
      env: {
        SCRIBA_OPENAI_BASE_URL: 'http://whisper:8000/v1',
        SCRIBA_OPENAI_API_KEY: 'k',
        SCRIBA_OPENAI_MODEL: 'Systran/faster-whisper-small',
        SCRIBA_VOSK_URL: 'ws://vosk:2700',
        SCRIBA_SHERPA_MODEL_DIR: '/models/zipformer',
        SCRIBA_SHERPA_MODEL_TYPE: 'transducer',
      },
    });
    expect(c.transcription.openai).toMatchObject({ baseUrl: 'http://whisper:8000/v1', apiKey: 'k', model: 'Systran/faster-whisper-small' });
    expect(c.transcription.vosk.url).toBe('ws://vosk:2700');
    expect(c.transcription.sherpa).toMatchObject({ modelDir: '/models/zipformer', modelType: 'transducer' });
    expect(() => loadConfig({ env: { SCRIBA_TRANSCRIPTION_ENGINE: 'whisperx' } })).toThrow(/transcription\.engine/);
  });
});
