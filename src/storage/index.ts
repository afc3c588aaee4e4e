/** Storage: one interface, local and S3 stores, signed links, upload while recording, retention. */
export {
  MAX_LINK_TTL_SEC,
  StorageError,
  isAbortError,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type OpOptions,
  type PutSource,
  type ReadOptions,
  type RecordedPart,
  type SentPart,
  type StorageFailure,
  type StoreKind,
  type StoredObject,
  type WriteOptions,
} from './object-store.ts';
export { assertKey, encodeKeyPath, keyBaseName, keyProblem, normalizeStorePrefix, prefixProblem } from './object-key.ts';
export { attachmentDisposition, contentTypeFor } from './content-type.ts';
export { createLocalStore, LOCAL_TMP_DIR, type LocalStore, type LocalStoreOptions } from './local-store.ts';
export {
  LOCAL_LINK_PREFIX,
  MIN_LINK_SECRET_LENGTH,
  buildLocalLink,
  verifyLocalLink,
  type LinkSecrets,
  type LinkVerdict,
} from './local-link.ts';
export {
  localLinkRequestHandler,
  localLinksPlugin,
  sendLinkResponse,
  serveLocalLink,
  type LinkRequest,
  type LinkResponse,
  type LocalLinksPluginOptions,
} from './local-link-handler.ts';
export { createS3Store, type S3Credentials, type S3ServerSideEncryption, type S3StoreOptions } from './s3-store.ts';
export {
  DEFAULT_TAIL_INTERVAL_MS,
  startGrowingFileUpload,
  type CheckpointOptions,
  type GrowingFileUpload,
  type GrowingFileUploadOptions,
  type UploadProgress,
  type UploadResult,
} from './growing-file-upload.ts';
export { anyByteBoundary, lineBoundary, mp4FragmentBoundary, type ContentBoundary } from './content-boundary.ts';
export {
  CHECKPOINT_VERSION,
  parseUploadCheckpoint,
  tailChunkKey,
  tailChunkPrefix,
  type TailChunk,
  type UploadCheckpoint,
} from './upload-checkpoint.ts';
export { salvageUpload, type SalvageOptions, type SalvageResult } from './salvage-upload.ts';
export { DEFAULT_PART_SIZE } from './part-plan.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type Sleep } from './retry.ts';
export { DEFAULT_RETENTION_SEC, isExpired } from './retention-policy.ts';
export { sweepExpired, type DeletedArtifact, type SweepOptions, type SweepReport } from './retention.ts';
export {
  DEFAULT_RETENTION_CRON,
  scheduleRetention,
  type RetentionSchedule,
  type RetentionScheduleOptions,
} from './retention-schedule.ts';
