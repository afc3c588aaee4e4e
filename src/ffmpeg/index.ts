/**
 * Public API of the ffmpeg module: pure argument builders, pure stderr/probe parsers, the process wrapper
 * and the probes. fluent-ffmpeg stays behind fluent-runner.ts and is not re-exported.
 */
export { type FfmpegCommandSpec, type FfmpegInput, type FfmpegOutput, toArgv } from './command-spec.ts';
export {
  type AudioProfile,
  buildCaptureCommand,
  buildFragmentedMp4Output,
  buildRemuxToMp4Command,
  buildX11PulseInputs,
  type CaptureCommandOptions,
  DEFAULT_AUDIO_PROFILE,
  DEFAULT_AUDIO_THREAD_QUEUE_SIZE,
  DEFAULT_VIDEO_PROFILE_720P,
  DEFAULT_VIDEO_THREAD_QUEUE_SIZE,
  type FfmpegLogLevel,
  type OutputStreamMap,
  type VideoProfile,
  type X11PulseInputOptions,
} from './capture-args.ts';
export { buildEncodedOutput, escapeTeeTarget, fragmentedMp4Leg, type MuxLeg, mpegtsPipeLeg, teeSlave } from './output-legs.ts';
export { buildMixedAudioPcmCommand, type MixedAudioPcmOptions } from './mixed-audio-args.ts';
export { EMPTY_SCAN, lastWholeFragmentEnd, parseBoxHeader, scanFragments, scanFragmentsWith, type FragmentScan } from './mp4-fragments.ts';
export { buildRtmpRelayCommand, RELAY_ANALYZE_DURATION_US } from './relay-args.ts';
export {
  advanceLivenessMark,
  createLineSplitter,
  evaluateLiveness,
  type FfmpegLine,
  type FfmpegProgress,
  type LineSplitter,
  type Liveness,
  type LivenessMark,
  parseFfmpegLine,
} from './progress-parser.ts';
export {
  FFMPEG_EXIT_CODE_AFTER_SIGNAL,
  type FfmpegExit,
  ffmpegExitToError,
  isCleanFfmpegExit,
} from './ffmpeg-exit.ts';
export {
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_STDERR_TAIL_LINES,
  type FfmpegHandle,
  runFfmpeg,
  type RunFfmpegOptions,
  startFfmpeg,
  type StartFfmpegOptions,
} from './ffmpeg-process.ts';
export {
  type AudioSummary,
  type MediaSummary,
  toMediaSummary,
  type VideoSummary,
} from './media-summary.ts';
export { type AudioLevel, buildVolumeDetectCommand, parseVolumeDetect, type VolumeDetectOptions } from './volume-detect.ts';
export { type MeasureAudioLevelOptions, measureAudioLevel, probeMedia, type ProbeOptions } from './probe.ts';
