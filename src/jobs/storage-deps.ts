/** What the job processor needs to upload a session's files, from configuration and the configured store. */
import type { ScribaConfig } from '../config/config.ts';
import type { ConfiguredStore } from '../storage/configured-store.ts';
import type { StorageDeps } from './upload-phase.ts';

export function storageDeps(config: ScribaConfig, configured: ConfiguredStore, onUploaded?: StorageDeps['onUploaded']): StorageDeps {
  return {
    store: configured.store,
    ...(configured.backup ? { backup: { store: configured.backup, afterMs: config.storage.backup.afterSec * 1000 } } : {}),
    partSizeBytes: config.storage.partSizeMiB * 1024 * 1024,
    retryInitialMs: config.storage.retryInitialMs,
    retryMaxMs: config.storage.retryMaxMs,
    linkTtlSec: config.storage.linkTtlSec,
    retentionSec: config.retention.retentionSec,
    tailIntervalMs: config.storage.tailIntervalSec * 1000,
    ...(onUploaded ? { onUploaded } : {}),
  };
}
