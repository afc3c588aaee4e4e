/**
 * The one reader of configuration: config/default.json, then an optional JSON file (SCRIBA_CONFIG), then
 * SCRIBA_* environment variables; validated once into a fully required object. docs/configuration.md is
 * the reference and a test keeps it in step with this schema.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { JibriConf } from './jibri-conf.ts';
import { xmppConfigSchema } from './xmpp-config.ts';

const positive = z.number().positive();
/** Speech-to-text engines (docs/transcription.md). */
export const SPEECH_ENGINES = ['pocketsphinx', 'google', 'openai', 'vosk', 'sherpa'] as const;
export type SpeechEngineName = (typeof SPEECH_ENGINES)[number];
const nonNeg = z.number().nonnegative();

export const configSchema = z.strictObject({
  recordingsDir: z.string().min(1),
  workDir: z.string(),
  chromiumPath: z.string().min(1),
  chromiumExtraArgs: z.array(
    z.string().regex(/^--[a-z0-9-]+(=.*)?$/, 'each extra Chromium argument must look like --flag or --flag=value'),
  ),
  ffmpegPath: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  capture: z.strictObject({
    backend: z.enum(['x11-pulse']),
    resolution: z.enum(['720p', '1080p']),
    fps: z.number().int().min(1).max(60),
    videoPreset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium']),
    videoCrf: z.number().int().min(0).max(51),
    audioBitrateKbps: z.number().int().min(32).max(512),
    audioOffsetMs: z.number().int().min(-2000).max(2000),
  }),
  meeting: z.strictObject({
    allowHttp: z.boolean(),
    joinTimeoutSec: positive,
    pageLoadTimeoutSec: positive,
    displayName: z.string(),
    email: z.string(),
    recordingNotice: z.string().max(500),
    xmppDomain: z.string(),
    xmppUsername: z.string(),
    xmppPassword: z.string(),
  }),
  checks: z.strictObject({
    intervalSec: positive,
    emptyCallTimeoutSec: nonNeg,
    noMediaTimeoutSec: nonNeg,
    allMutedTimeoutSec: nonNeg,
    iceTimeoutSec: nonNeg,
    pageHungTimeoutSec: nonNeg,
    maxDurationSec: positive,
  }),
  stopGraceSec: positive,
  /** Jibri's jibri.conf to take the brewery settings from ('' = none); see src/config/jibri-conf.ts. */
  jibriConfig: z.string(),
  xmpp: xmppConfigSchema,
  queue: z.strictObject({
    backend: z.enum(['sqlite', 'bullmq']),
    sqlitePath: z.string().min(1),
    redisUrl: z.string(),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    leaseSec: positive,
    maxAttempts: z.number().int().min(1).max(20),
    maxQueuedSec: positive,
  }),
  worker: z.strictObject({
    cores: nonNeg,
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    drainGraceSec: nonNeg,
    /** Capture environments kept started ahead (Xvfb + PulseAudio + Chromium); 0 disables. */
    warmSessions: z.number().int().min(0).max(8),
    allowedMeetingHosts: z.array(z.string().min(1)),
    allowedStreamHosts: z.array(z.string().min(1)),
  }),
  stream: z.strictObject({
    videoPreset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium']),
    keyframeIntervalSec: positive,
    maxrateKbps: z.number().int().min(100),
    bufsizeKbps: z.number().int().min(100),
    audioBitrateKbps: z.number().int().min(32).max(512),
    shareEncode: z.boolean(),
    connectTimeoutSec: positive,
    reconnectWindowSec: nonNeg,
    reconnectInitialDelayMs: z.number().int().min(0),
    reconnectMaxDelayMs: z.number().int().min(0),
  }),
  api: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    bodyLimitBytes: z.number().int().min(1024).max(10_485_760),
    allowedCallbackUrls: z.array(z.string().url()),
    requestTimeoutSec: positive,
    closeGraceSec: nonNeg,
    maxQueued: z.number().int().min(1),
    maxOpenPerTenant: z.number().int().min(1),
    maxOpenPerUser: z.number().int().min(1),
    startsPerMinute: z.number().int().min(0),
  }),
  auth: z.strictObject({
    enabled: z.boolean(),
    algorithms: z.array(z.enum(['HS256', 'HS384', 'HS512', 'RS256'])).min(1),
    secrets: z.array(z.string()),
    publicKey: z.string(),
    asapKeyServer: z.string(),
    asapCacheSec: nonNeg,
    issuers: z.array(z.string().min(1)),
    audiences: z.array(z.string().min(1)),
  }),
  storage: z.strictObject({
    backend: z.enum(['local', 's3', 'none']),
    linkTtlSec: z.number().int().min(60).max(604_800),
    partSizeMiB: z.number().int().min(5).max(512),
    tailIntervalSec: z.number().min(1).max(300),
    retryInitialMs: z.number().int().positive(),
    retryMaxMs: z.number().int().positive(),
    backup: z.strictObject({
      backend: z.enum(['none', 'local']),
      afterSec: z.number().int().min(0),
    }),
    local: z.strictObject({
      root: z.string().min(1),
      publicBaseUrl: z.string(),
      linkSecrets: z.array(z.string().min(32, 'each link secret needs at least 32 characters')),
    }),
    s3: z.strictObject({
      bucket: z.string(),
      region: z.string(),
      endpoint: z.string(),
      forcePathStyle: z.boolean(),
      prefix: z.string(),
      serverSideEncryption: z.enum(['', 'AES256', 'aws:kms']),
      kmsKeyId: z.string(),
      checksums: z.enum(['when_supported', 'when_required']),
      publicEndpoint: z.string(),
    }),
  }),
  retention: z.strictObject({
    enabled: z.boolean(),
    retentionSec: z.number().int().min(60),
    cron: z.string().min(1),
  }),
  transcription: z.strictObject({
    engine: z.enum(SPEECH_ENGINES),
    /** Engines a request may pick instead of `engine` (which is always allowed). */
    enabledEngines: z.array(z.enum(SPEECH_ENGINES)),
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/),
    inMeetingSubtitles: z.boolean(),
    pocketsphinx: z.strictObject({ binaryPath: z.string().min(1) }),
    google: z.strictObject({
      model: z.string(),
      enableAutomaticPunctuation: z.boolean(),
      keyFilename: z.string(),
      streamLimitSec: z.number().int().min(10).max(300),
    }),
    vad: z.strictObject({
      threshold: z.number().gt(0).lt(1),
      minSilenceMs: z.number().int().min(100).max(5000),
      speechPadMs: z.number().int().min(0).max(1000),
      maxUtteranceSec: z.number().min(2).max(60),
    }),
    openai: z.strictObject({
      baseUrl: z.string(),
      apiKey: z.string(),
      model: z.string(),
      responseFormat: z.enum(['verbose_json', 'json']),
      format: z.enum(['wav', 'flac']),
      timeoutSec: positive,
      concurrency: z.number().int().min(1).max(64),
    }),
    vosk: z.strictObject({ url: z.string() }),
    sherpa: z.strictObject({
      modelDir: z.string(),
      modelType: z.enum(['auto', 'transducer', 'paraformer', 'whisper', 'moonshine', 'sense_voice']),
      numThreads: z.number().int().min(1).max(16),
    }),
  }),
  webhooks: z.strictObject({
    urls: z.array(z.string().url()),
    secret: z.string(),
    appId: z.string(),
    customerId: z.string(),
    outboxPath: z.string().min(1),
    allowPrivateAddresses: z.boolean(),
    timeoutMs: z.number().int().positive(),
    initialBackoffMs: z.number().int().positive(),
    maxBackoffMs: z.number().int().positive(),
    giveUpAfterSec: positive,
  }),
});

export type ScribaConfig = z.infer<typeof configSchema>;

/** Environment variable → config path. Secrets come from here, never from files in the repo. */
export const ENV_KEYS: Readonly<Record<string, { path: readonly string[]; type: 'string' | 'number' | 'boolean' | 'list' }>> = {
  SCRIBA_RECORDINGS_DIR: { path: ['recordingsDir'], type: 'string' },
  SCRIBA_WORK_DIR: { path: ['workDir'], type: 'string' },
  SCRIBA_CHROMIUM_PATH: { path: ['chromiumPath'], type: 'string' },
  SCRIBA_CHROMIUM_EXTRA_ARGS: { path: ['chromiumExtraArgs'], type: 'list' },
  SCRIBA_FFMPEG_PATH: { path: ['ffmpegPath'], type: 'string' },
  SCRIBA_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  SCRIBA_CAPTURE_RESOLUTION: { path: ['capture', 'resolution'], type: 'string' },
  SCRIBA_CAPTURE_FPS: { path: ['capture', 'fps'], type: 'number' },
  SCRIBA_VIDEO_PRESET: { path: ['capture', 'videoPreset'], type: 'string' },
  SCRIBA_VIDEO_CRF: { path: ['capture', 'videoCrf'], type: 'number' },
  SCRIBA_AUDIO_OFFSET_MS: { path: ['capture', 'audioOffsetMs'], type: 'number' },
  SCRIBA_ALLOW_HTTP_MEETINGS: { path: ['meeting', 'allowHttp'], type: 'boolean' },
  SCRIBA_JOIN_TIMEOUT_SEC: { path: ['meeting', 'joinTimeoutSec'], type: 'number' },
  SCRIBA_RECORDER_DISPLAY_NAME: { path: ['meeting', 'displayName'], type: 'string' },
  SCRIBA_XMPP_DOMAIN: { path: ['meeting', 'xmppDomain'], type: 'string' },
  SCRIBA_XMPP_USERNAME: { path: ['meeting', 'xmppUsername'], type: 'string' },
  SCRIBA_XMPP_PASSWORD: { path: ['meeting', 'xmppPassword'], type: 'string' },
  SCRIBA_JIBRI_CONFIG: { path: ['jibriConfig'], type: 'string' },
  SCRIBA_XMPP_SINGLE_USE_MODE: { path: ['xmpp', 'singleUseMode'], type: 'boolean' },
  SCRIBA_CHECK_INTERVAL_SEC: { path: ['checks', 'intervalSec'], type: 'number' },
  SCRIBA_EMPTY_CALL_TIMEOUT_SEC: { path: ['checks', 'emptyCallTimeoutSec'], type: 'number' },
  SCRIBA_NO_MEDIA_TIMEOUT_SEC: { path: ['checks', 'noMediaTimeoutSec'], type: 'number' },
  SCRIBA_ALL_MUTED_TIMEOUT_SEC: { path: ['checks', 'allMutedTimeoutSec'], type: 'number' },
  SCRIBA_ICE_TIMEOUT_SEC: { path: ['checks', 'iceTimeoutSec'], type: 'number' },
  SCRIBA_MAX_DURATION_SEC: { path: ['checks', 'maxDurationSec'], type: 'number' },
  SCRIBA_STOP_GRACE_SEC: { path: ['stopGraceSec'], type: 'number' },
  SCRIBA_QUEUE_BACKEND: { path: ['queue', 'backend'], type: 'string' },
  SCRIBA_QUEUE_SQLITE_PATH: { path: ['queue', 'sqlitePath'], type: 'string' },
  SCRIBA_REDIS_URL: { path: ['queue', 'redisUrl'], type: 'string' },
  SCRIBA_QUEUE_NAME: { path: ['queue', 'name'], type: 'string' },
  SCRIBA_QUEUE_LEASE_SEC: { path: ['queue', 'leaseSec'], type: 'number' },
  SCRIBA_QUEUE_MAX_QUEUED_SEC: { path: ['queue', 'maxQueuedSec'], type: 'number' },
  SCRIBA_WORKER_CORES: { path: ['worker', 'cores'], type: 'number' },
  SCRIBA_WORKER_HOST: { path: ['worker', 'host'], type: 'string' },
  SCRIBA_WORKER_PORT: { path: ['worker', 'port'], type: 'number' },
  SCRIBA_DRAIN_GRACE_SEC: { path: ['worker', 'drainGraceSec'], type: 'number' },
  SCRIBA_WORKER_WARM_SESSIONS: { path: ['worker', 'warmSessions'], type: 'number' },
  SCRIBA_ALLOWED_MEETING_HOSTS: { path: ['worker', 'allowedMeetingHosts'], type: 'list' },
  SCRIBA_ALLOWED_STREAM_HOSTS: { path: ['worker', 'allowedStreamHosts'], type: 'list' },
  SCRIBA_STREAM_RECONNECT_WINDOW_SEC: { path: ['stream', 'reconnectWindowSec'], type: 'number' },
  SCRIBA_STREAM_MAXRATE_KBPS: { path: ['stream', 'maxrateKbps'], type: 'number' },
  SCRIBA_STREAM_SHARE_ENCODE: { path: ['stream', 'shareEncode'], type: 'boolean' },
  SCRIBA_API_HOST: { path: ['api', 'host'], type: 'string' },
  SCRIBA_API_PORT: { path: ['api', 'port'], type: 'number' },
  SCRIBA_API_ALLOWED_CALLBACK_URLS: { path: ['api', 'allowedCallbackUrls'], type: 'list' },
  SCRIBA_API_REQUEST_TIMEOUT_SEC: { path: ['api', 'requestTimeoutSec'], type: 'number' },
  SCRIBA_API_MAX_QUEUED: { path: ['api', 'maxQueued'], type: 'number' },
  SCRIBA_API_MAX_OPEN_PER_TENANT: { path: ['api', 'maxOpenPerTenant'], type: 'number' },
  SCRIBA_API_MAX_OPEN_PER_USER: { path: ['api', 'maxOpenPerUser'], type: 'number' },
  SCRIBA_API_STARTS_PER_MINUTE: { path: ['api', 'startsPerMinute'], type: 'number' },
  SCRIBA_AUTH_ENABLED: { path: ['auth', 'enabled'], type: 'boolean' },
  SCRIBA_AUTH_ALGORITHMS: { path: ['auth', 'algorithms'], type: 'list' },
  SCRIBA_JWT_SECRETS: { path: ['auth', 'secrets'], type: 'list' },
  SCRIBA_JWT_PUBLIC_KEY: { path: ['auth', 'publicKey'], type: 'string' },
  SCRIBA_ASAP_KEY_SERVER: { path: ['auth', 'asapKeyServer'], type: 'string' },
  SCRIBA_JWT_ISSUERS: { path: ['auth', 'issuers'], type: 'list' },
  SCRIBA_JWT_AUDIENCES: { path: ['auth', 'audiences'], type: 'list' },
  SCRIBA_STORAGE_BACKEND: { path: ['storage', 'backend'], type: 'string' },
  SCRIBA_STORAGE_LINK_TTL_SEC: { path: ['storage', 'linkTtlSec'], type: 'number' },
  SCRIBA_STORAGE_TAIL_INTERVAL_SEC: { path: ['storage', 'tailIntervalSec'], type: 'number' },
  SCRIBA_STORAGE_BACKUP: { path: ['storage', 'backup', 'backend'], type: 'string' },
  SCRIBA_STORAGE_LOCAL_ROOT: { path: ['storage', 'local', 'root'], type: 'string' },
  SCRIBA_STORAGE_PUBLIC_BASE_URL: { path: ['storage', 'local', 'publicBaseUrl'], type: 'string' },
  SCRIBA_STORAGE_LINK_SECRETS: { path: ['storage', 'local', 'linkSecrets'], type: 'list' },
  SCRIBA_S3_BUCKET: { path: ['storage', 's3', 'bucket'], type: 'string' },
  SCRIBA_S3_REGION: { path: ['storage', 's3', 'region'], type: 'string' },
  SCRIBA_S3_ENDPOINT: { path: ['storage', 's3', 'endpoint'], type: 'string' },
  SCRIBA_S3_FORCE_PATH_STYLE: { path: ['storage', 's3', 'forcePathStyle'], type: 'boolean' },
  SCRIBA_S3_PREFIX: { path: ['storage', 's3', 'prefix'], type: 'string' },
  SCRIBA_S3_SSE: { path: ['storage', 's3', 'serverSideEncryption'], type: 'string' },
  SCRIBA_S3_KMS_KEY_ID: { path: ['storage', 's3', 'kmsKeyId'], type: 'string' },
  SCRIBA_RETENTION_ENABLED: { path: ['retention', 'enabled'], type: 'boolean' },
  SCRIBA_RETENTION_SEC: { path: ['retention', 'retentionSec'], type: 'number' },
  SCRIBA_RETENTION_CRON: { path: ['retention', 'cron'], type: 'string' },
  SCRIBA_TRANSCRIPTION_ENGINE: { path: ['transcription', 'engine'], type: 'string' },
  SCRIBA_TRANSCRIPTION_LANGUAGE: { path: ['transcription', 'language'], type: 'string' },
  SCRIBA_TRANSCRIPTION_SUBTITLES: { path: ['transcription', 'inMeetingSubtitles'], type: 'boolean' },
  SCRIBA_GOOGLE_SPEECH_MODEL: { path: ['transcription', 'google', 'model'], type: 'string' },
  SCRIBA_GOOGLE_KEY_FILE: { path: ['transcription', 'google', 'keyFilename'], type: 'string' },
  SCRIBA_TRANSCRIPTION_ENABLED_ENGINES: { path: ['transcription', 'enabledEngines'], type: 'list' },
  SCRIBA_OPENAI_BASE_URL: { path: ['transcription', 'openai', 'baseUrl'], type: 'string' },
  SCRIBA_OPENAI_API_KEY: { path: ['transcription', 'openai', 'apiKey'], type: 'string' },
  SCRIBA_OPENAI_MODEL: { path: ['transcription', 'openai', 'model'], type: 'string' },
  SCRIBA_OPENAI_FORMAT: { path: ['transcription', 'openai', 'format'], type: 'string' },
  SCRIBA_VOSK_URL: { path: ['transcription', 'vosk', 'url'], type: 'string' },
  SCRIBA_SHERPA_MODEL_DIR: { path: ['transcription', 'sherpa', 'modelDir'], type: 'string' },
  SCRIBA_SHERPA_MODEL_TYPE: { path: ['transcription', 'sherpa', 'modelType'], type: 'string' },
  SCRIBA_WEBHOOK_URLS: { path: ['webhooks', 'urls'], type: 'list' },
  SCRIBA_WEBHOOK_SECRET: { path: ['webhooks', 'secret'], type: 'string' },
  SCRIBA_WEBHOOK_APP_ID: { path: ['webhooks', 'appId'], type: 'string' },
  SCRIBA_WEBHOOK_CUSTOMER_ID: { path: ['webhooks', 'customerId'], type: 'string' },
  SCRIBA_WEBHOOK_OUTBOX_PATH: { path: ['webhooks', 'outboxPath'], type: 'string' },
  SCRIBA_WEBHOOK_ALLOW_PRIVATE: { path: ['webhooks', 'allowPrivateAddresses'], type: 'boolean' },
  SCRIBA_WEBHOOK_GIVE_UP_AFTER_SEC: { path: ['webhooks', 'giveUpAfterSec'], type: 'number' },
};

type Json = Record<string, unknown>;

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? deepMerge(b as Json, v as Json) : v;
  }
  return out;
}

function parseEnvValue(name: string, raw: string, type: 'string' | 'number' | 'boolean' | 'list'): unknown {
  if (type === 'string') return raw;
  if (type === 'list') return raw.split(/\s+/).filter(Boolean);
  if (type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`${name} must be a number, got "${raw}"`);
    return n;
  }
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/default.json', import.meta.url));

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Applied last (CLI flags). */
  readonly overrides?: Json;
  /** A jibri.conf already read (loadConfigWithJibri): fills `xmpp` and `recordingsDir` under Scriba's own settings. */
  readonly jibri?: JibriConf | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(options: LoadConfigOptions = {}): ScribaConfig {
  const env = options.env ?? process.env;
  let merged = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Json;
  // jibri.conf sits right above the defaults: Scriba's own file, environment and flags win where both set a key.
  if (options.jibri) merged = deepMerge(merged, options.jibri.config as Json);
  const file = env['SCRIBA_CONFIG'];
  if (file) merged = deepMerge(merged, JSON.parse(readFileSync(file, 'utf8')) as Json);
  const fromEnv: Json = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined) {
      try {
        setPath(fromEnv, spec.path, parseEnvValue(name, raw, spec.type));
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
  }
  merged = deepMerge(merged, fromEnv);
  if (options.overrides) merged = deepMerge(merged, options.overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  return config.workDir ? config : { ...config, workDir: `${tmpdir()}/scriba` };
}

export interface LoadedConfig {
  readonly config: ScribaConfig;
  /** The jibri.conf that was read (its ignoredKeys and warnings are for the caller to log once), or null. */
  readonly jibri: JibriConf | null;
}

/**
 * loadConfig plus Jibri's jibri.conf when `jibriConfig` / SCRIBA_JIBRI_CONFIG names one (reading HOCON is
 * asynchronous). Commands that join a Jibri brewery load their configuration through this.
 */
export async function loadConfigWithJibri(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const own = loadConfig(options);
  if (!own.jibriConfig) return { config: own, jibri: null };
  // Loaded here only: its HOCON parser is a good part of this module's import time, and few deployments use it.
  const { JibriConfError, readJibriConf } = await import('./jibri-conf.ts');
  let jibri: JibriConf;
  try {
    jibri = await readJibriConf(own.jibriConfig, options.env ?? process.env);
  } catch (err) {
    if (err instanceof JibriConfError) throw new ConfigError(err.message);
    throw err;
  }
  return { config: loadConfig({ ...options, jibri }), jibri };
}

export const RESOLUTIONS = {
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
} as const;
