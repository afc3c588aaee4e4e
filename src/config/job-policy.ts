/**
 * The deployment rules every start request is checked against (API, CLI enqueue, brewery), and the speech
 * engines a request may choose, from configuration.
 */
import type { JobPolicy } from '../domain/job-request.ts';
import type { ScribaConfig, SpeechEngineName } from './config.ts';

/** The engines a request may choose: the deployment's own and those it enabled. */
export function enabledSpeechEngines(config: ScribaConfig): SpeechEngineName[] {
  return [...new Set([config.transcription.engine, ...config.transcription.enabledEngines])];
}

export function jobPolicy(config: ScribaConfig): JobPolicy {
  return {
    allowedMeetingHosts: config.worker.allowedMeetingHosts,
    allowedStreamHosts: config.worker.allowedStreamHosts,
    allowHttp: config.meeting.allowHttp,
    defaultMaxDurationSec: config.checks.maxDurationSec,
    maxDurationCapSec: config.checks.maxDurationSec,
    speechEngines: enabledSpeechEngines(config),
  };
}
