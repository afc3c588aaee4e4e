/**
 * Storage from configuration: the object store (local or S3), the link secret and routes the API needs for a
 * local store, and the retention sweeper every worker runs.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ScribaConfig } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { localLinksPlugin } from './local-link-handler.ts';
import { createLocalStore, type LocalStore } from './local-store.ts';
import type { ObjectStore } from './object-store.ts';
import { scheduleRetention } from './retention-schedule.ts';
import { sweepExpired, type DeletedArtifact } from './retention.ts';
import { createS3Store } from './s3-store.ts';

export interface ConfiguredStore {
  readonly store: ObjectStore;
  /** Set when a local store is in use (primary or backup): the API serves its links. */
  readonly local: LocalStore | null;
  /** `storage.backup`: the local store behind an S3 primary, or null. */
  readonly backup?: ObjectStore | null;
}

/**
 * The store of `storage.backend`, or null for `none`. `publicBaseUrl` is the API's own address, used for
 * local links when `storage.local.publicBaseUrl` is empty (`scriba serve`).
 */
export function createConfiguredStore(config: ScribaConfig, logger: Logger, publicBaseUrl = ''): ConfiguredStore | null {
  const s = config.storage;
  switch (s.backend) {
    case 'none':
      return null;
    case 'local': {
      const local = localStore(config, logger, publicBaseUrl);
      return { store: local, local };
    }
    case 's3': {
      if (!s.s3.bucket) throw new Error('storage.backend is s3 but storage.s3.bucket (SCRIBA_S3_BUCKET) is empty');
      const opt = <K extends string, V>(key: K, value: V | ''): { [P in K]?: V } =>
        value === '' ? {} : ({ [key]: value } as { [P in K]?: V });
      const store = createS3Store({
        bucket: s.s3.bucket,
        forcePathStyle: s.s3.forcePathStyle,
        prefix: s.s3.prefix,
        checksums: s.s3.checksums,
        ...opt('region', s.s3.region),
        ...opt('endpoint', s.s3.endpoint),
        ...opt('serverSideEncryption', s.s3.serverSideEncryption),
        ...opt('kmsKeyId', s.s3.kmsKeyId),
        ...opt('publicEndpoint', s.s3.publicEndpoint),
      });
      const backup = s.backup.backend === 'local' ? localStore(config, logger, publicBaseUrl) : null;
      return { store, local: backup, backup };
    }
    default: {
      const unreachable: never = s.backend;
      throw new Error(`unknown storage backend ${String(unreachable)}`);
    }
  }
}

/** A local store is in use: as the store, or as the backup behind S3. */
export function usesLocalStore(config: ScribaConfig): boolean {
  return config.storage.backend === 'local' || (config.storage.backend === 's3' && config.storage.backup.backend === 'local');
}

/**
 * Links need a secret: with none configured, one random secret for this process (links die with it). Called
 * once per process, so the API that verifies links and the worker that signs them share it.
 */
export function withLinkSecret(config: ScribaConfig, logger: Logger): ScribaConfig {
  if (!usesLocalStore(config) || config.storage.local.linkSecrets.length > 0) return config;
  logger.warn('storage.local.linkSecrets is empty: links are signed with a random secret and stop working when this process ends');
  return {
    ...config,
    storage: { ...config.storage, local: { ...config.storage.local, linkSecrets: [randomBytes(32).toString('base64url')] } },
  };
}

/** The API route serving local links (verifying needs only root and secrets), or undefined without a local store. */
export function localLinkRoutes(config: ScribaConfig): ((app: FastifyInstance) => void) | undefined {
  if (!usesLocalStore(config) || config.storage.local.linkSecrets.length === 0) return undefined;
  const store = createLocalStore({ root: config.storage.local.root, publicBaseUrl: '', linkSecret: config.storage.local.linkSecrets });
  return (app) => void localLinksPlugin(app, { store });
}

function localStore(config: ScribaConfig, logger: Logger, publicBaseUrl: string): LocalStore {
  const s = withLinkSecret(config, logger).storage;
  const base = s.local.publicBaseUrl || publicBaseUrl;
  if (!base) logger.warn('storage.local.publicBaseUrl is empty: recordings are stored locally without links');
  return createLocalStore({ root: s.local.root, publicBaseUrl: base, linkSecret: s.local.linkSecrets });
}

/** Runs the retention sweep on `retention.cron` until the signal aborts (every worker; sweeps are idempotent). */
export function startRetention(
  config: ScribaConfig,
  store: ConfiguredStore | null,
  logger: Logger,
  signal: AbortSignal,
  onDeleted: (a: DeletedArtifact) => void,
): Promise<void> {
  if (!config.retention.enabled) return Promise.resolve();
  const log = logger.child({ component: 'retention' });
  return scheduleRetention({
    cron: config.retention.cron,
    signal,
    logger: log,
    runOnStart: true,
    sweep: (s) =>
      sweepExpired({
        stores: store ? [store.store, ...(store.backup ? [store.backup] : [])] : [],
        localDirs: [config.recordingsDir],
        retentionSec: config.retention.retentionSec,
        logger: log,
        onDeleted,
        signal: s,
      }),
  }).stopped;
}
