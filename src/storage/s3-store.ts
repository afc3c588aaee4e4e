/**
 * S3 and S3-compatible stores (AWS SDK v3). Credentials come from the SDK's default provider chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, ECS/EC2 roles) unless given.
 *
 * - Every request body is a Buffer with a Content-MD5 the server checks. (Streamed bodies would be sent
 *   aws-chunked with trailing checksums, which several S3-compatible servers store verbatim: framing and all.)
 * - Objects of more than SINGLE_PUT_MAX bytes are written as multipart uploads, part by part from the file.
 * - Links are presigned GETs (SigV4: 7 days at most; with temporary credentials they also end when the
 *   session token does), optionally signed for a public endpoint different from the one Scriba talks to.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  StorageError,
  assertLinkTtl,
  throwIfAborted,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type OpOptions,
  type PutSource,
  type ReadOptions,
  type RecordedPart,
  type SentPart,
  type StoredObject,
  type WriteOptions,
  assertRecordedParts,
  readSpan,
} from './object-store.ts';
import { assertKey, assertPrefix, keyProblem, normalizeStorePrefix } from './object-key.ts';
import { attachmentDisposition, contentTypeFor } from './content-type.ts';
import { readExactly } from './local-fs.ts';
import { s3Error } from './s3-errors.ts';

export type S3ServerSideEncryption = '' | 'AES256' | 'aws:kms';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3StoreOptions {
  readonly bucket: string;
  /** '' or absent: the SDK's region chain (AWS_REGION, profile); with a custom endpoint, 'us-east-1'. */
  readonly region?: string;
  /** '' or absent: AWS. E.g. `https://minio.internal:9000`. */
  readonly endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`): what most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Every key is stored under this prefix ('scriba' → 'scriba/<key>'); list/retention never leave it. */
  readonly prefix?: string;
  readonly serverSideEncryption?: S3ServerSideEncryption;
  /** With 'aws:kms': the key (ARN, id or alias); '' → the bucket's / AWS-managed key. */
  readonly kmsKeyId?: string;
  /** Absent: the default provider chain. */
  readonly credentials?: S3Credentials;
  /** 'when_required' for S3-compatible servers that reject the SDK's default CRC32 checksum headers. */
  readonly checksums?: 'when_supported' | 'when_required';
  /** Links are signed for this endpoint instead (e.g. the public name of an internal MinIO). */
  readonly publicEndpoint?: string;
  /** SDK attempts per request (its own quick retries; longer outages are the caller's). Default 3. */
  readonly maxAttempts?: number;
  readonly connectTimeoutMs?: number;
  /** A request whose socket is idle this long fails (and can be retried). */
  readonly socketTimeoutMs?: number;
  /** Clock for link signing (ms). */
  readonly now?: () => number;
}

/** Above this, put() of a file goes multipart (PutObject's own limit is 5 GiB; a Buffer this big is enough). */
export const SINGLE_PUT_MAX = 16 * 1024 * 1024;
const S3_MIN_PART = 5 * 1024 * 1024;
const S3_MAX_PARTS = 10_000;

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('base64');
const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '');
const sendOpts = (abortSignal: AbortSignal | undefined) => (abortSignal === undefined ? {} : { abortSignal });
const withSignal = (signal: AbortSignal | undefined): OpOptions => (signal === undefined ? {} : { signal });

function clientConfig(o: S3StoreOptions, endpoint: string | undefined): S3ClientConfig {
  const region = o.region !== undefined && o.region !== '' ? o.region : endpoint ? 'us-east-1' : undefined;
  const checksums = o.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    ...(o.credentials === undefined ? {} : { credentials: { ...o.credentials } }),
    maxAttempts: o.maxAttempts ?? 3,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    requestHandler: { connectionTimeout: o.connectTimeoutMs ?? 5_000, socketTimeout: o.socketTimeoutMs ?? 30_000 },
  };
}

export function createS3Store(options: S3StoreOptions): ObjectStore {
  return new S3Store(options);
}

interface Encryption {
  readonly ServerSideEncryption?: 'AES256' | 'aws:kms';
  readonly SSEKMSKeyId?: string;
}

function encryptionOf(o: S3StoreOptions): Encryption {
  const sse = o.serverSideEncryption ?? '';
  const kms = o.kmsKeyId ?? '';
  if (kms !== '' && sse !== 'aws:kms') throw new StorageError('config', 'kmsKeyId needs serverSideEncryption "aws:kms"');
  if (sse === '') return {};
  return { ServerSideEncryption: sse, ...(kms === '' ? {} : { SSEKMSKeyId: kms }) };
}

class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly description: string;
  readonly minPartSize = S3_MIN_PART;
  readonly maxParts = S3_MAX_PARTS;
  readonly #client: S3Client;
  readonly #signer: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #sse: Encryption;
  readonly #now: () => number;

  constructor(o: S3StoreOptions) {
    if (o.bucket === '') throw new StorageError('config', 'the S3 store needs a bucket');
    this.#bucket = o.bucket;
    this.#prefix = normalizeStorePrefix(o.prefix ?? '');
    this.#sse = encryptionOf(o);
    this.#now = o.now ?? Date.now;
    const endpoint = o.endpoint !== undefined && o.endpoint !== '' ? o.endpoint : undefined;
    this.#client = new S3Client(clientConfig(o, endpoint));
    const publicEndpoint = o.publicEndpoint !== undefined && o.publicEndpoint !== '' ? o.publicEndpoint : undefined;
    // Presigning is local computation: a second client only changes the host the URL names.
    this.#signer = publicEndpoint === undefined ? this.#client : new S3Client(clientConfig(o, publicEndpoint));
    this.description = `s3://${o.bucket}/${this.#prefix}`;
  }

  #full(key: string): string {
    return this.#prefix + assertKey(key);
  }

  async #send<T>(what: string, signal: AbortSignal | undefined, run: (abortSignal?: AbortSignal) => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    try {
      return await run(signal);
    } catch (err) {
      if (signal?.aborted) throw new StorageError('aborted', `${what}: aborted`, { cause: err });
      throw s3Error(err, what);
    }
  }

  async put(key: string, source: PutSource, options: WriteOptions = {}): Promise<StoredObject> {
    const full = this.#full(key);
    const contentType = options.contentType ?? contentTypeFor(key);
    if ('path' in source) {
      const size = await stat(source.path).then(
        (s) => s.size,
        (err: unknown) => {
          throw new StorageError('not_found', `storing ${key}: cannot read ${source.path}`, { cause: err });
        },
      );
      if (size > SINGLE_PUT_MAX) return this.#putFileMultipart(key, source.path, contentType, options.signal);
      return this.put(key, { bytes: await readFile(source.path) }, { ...options, contentType });
    }
    const bytes = source.bytes;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.#send(`storing ${key}`, options.signal, (abortSignal) =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: full,
          Body: bytes,
          ContentLength: bytes.length,
          ContentMD5: md5(bytes),
          ContentType: contentType,
          Metadata: { sha256 },
          ...this.#sse,
        }),
        sendOpts(abortSignal),
      ),
    );
    return { key, size: bytes.length, sha256 };
  }

  async #putFileMultipart(key: string, path: string, contentType: string, signal?: AbortSignal): Promise<StoredObject> {
    const upload = await this.createMultipart(key, { contentType, ...withSignal(signal) });
    const fh = await open(path, 'r');
    const hash = createHash('sha256');
    try {
      const size = (await fh.stat()).size;
      let part = 1;
      for (let pos = 0; pos < size; pos += SINGLE_PUT_MAX, part += 1) {
        const bytes = await readExactly(fh, pos, Math.min(SINGLE_PUT_MAX, size - pos));
        hash.update(bytes);
        await upload.uploadPart(part, bytes, withSignal(signal));
      }
      await upload.complete(withSignal(signal));
      return { key, size, sha256: hash.digest('hex') };
    } catch (err) {
      await upload.abort().catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  }

  async createMultipart(key: string, options: WriteOptions = {}): Promise<MultipartUpload> {
    const full = this.#full(key);
    const created = await this.#send(`starting an upload of ${key}`, options.signal, (abortSignal) =>
      this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: full,
          ContentType: options.contentType ?? contentTypeFor(key),
          ...this.#sse,
        }),
        sendOpts(abortSignal),
      ),
    );
    if (created.UploadId === undefined) throw new StorageError('rejected', `starting an upload of ${key}: no UploadId`);
    return new S3Multipart(key, full, created.UploadId, this.#bucket, this.#client, (what, signal, run) => this.#send(what, signal, run));
  }

  /**
   * Asks the store for the upload's parts (ListParts) and checks the recorded ones against them: NoSuchUpload
   * means the upload is gone. A store without ListParts (405/501), or a worker not allowed to call it, cannot
   * ask: the upload is then taken on trust and checked when completing.
   */
  async resumeMultipart(key: string, uploadId: string, parts: readonly RecordedPart[], options: OpOptions = {}): Promise<MultipartUpload> {
    const full = this.#full(key);
    assertRecordedParts(key, parts);
    if (uploadId === '') throw new StorageError('upload_lost', `resuming the upload of ${key}: no upload id`);
    const send: Send = (what, signal, run) => this.#send(what, signal, run);
    let listed: Map<number, { size: number; etag: string }> | null = new Map();
    try {
      let marker: string | undefined;
      do {
        const page = await this.#send(`resuming the upload of ${key}`, options.signal, (abortSignal) =>
          this.#client.send(
            new ListPartsCommand({
              Bucket: this.#bucket,
              Key: full,
              UploadId: uploadId,
              ...(marker === undefined ? {} : { PartNumberMarker: marker }),
            }),
            sendOpts(abortSignal),
          ),
        );
        for (const p of page.Parts ?? []) {
          if (p.PartNumber !== undefined) listed.set(p.PartNumber, { size: p.Size ?? -1, etag: unquote(p.ETag) });
        }
        marker = page.IsTruncated === true ? page.NextPartNumberMarker : undefined;
      } while (marker !== undefined);
    } catch (err) {
      // Not implemented (405/501), or not allowed (no s3:ListMultipartUploadParts): completing will tell.
      if (!(err instanceof StorageError && (err.reason === 'unsupported' || err.reason === 'rejected'))) throw err;
      listed = null;
    }
    if (listed !== null) {
      for (const p of parts) {
        const there = listed.get(p.partNumber);
        if (there === undefined || there.size !== p.size || there.etag !== unquote(p.etag)) {
          throw new StorageError(
            'verify_failed',
            `resuming the upload of ${key}: the store does not hold part ${p.partNumber} as recorded`,
          );
        }
      }
    }
    return new S3Multipart(key, full, uploadId, this.#bucket, this.#client, send, parts, listed === null);
  }

  async read(key: string, options: ReadOptions = {}): Promise<Uint8Array | null> {
    const full = this.#full(key);
    try {
      return await this.#send(`reading ${key}`, options.signal, async (abortSignal) => {
        const range = options.range === undefined ? undefined : readSpan(key, Number.MAX_SAFE_INTEGER, options.range);
        const r = await this.#client.send(
          new GetObjectCommand({ Bucket: this.#bucket, Key: full, ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}) }),
          sendOpts(abortSignal),
        );
        if (options.maxBytes !== undefined && (r.ContentLength ?? 0) > options.maxBytes) {
          r.Body?.transformToWebStream()
            .cancel()
            .catch(() => undefined);
          throw new StorageError('rejected', `reading ${key}: ${r.ContentLength} bytes is more than ${options.maxBytes}`);
        }
        return (await r.Body?.transformToByteArray()) ?? new Uint8Array(0);
      });
    } catch (err) {
      if (err instanceof StorageError && err.reason === 'not_found') return null;
      throw err;
    }
  }

  async head(key: string, options: OpOptions = {}): Promise<ObjectInfo | null> {
    const full = this.#full(key);
    try {
      const r = await this.#send(`looking up ${key}`, options.signal, (abortSignal) =>
        this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: full }), sendOpts(abortSignal)),
      );
      return {
        key,
        size: r.ContentLength ?? 0,
        lastModifiedMs: r.LastModified?.getTime() ?? 0,
        etag: unquote(r.ETag),
        sha256: r.Metadata?.['sha256'] ?? null,
      };
    } catch (err) {
      if (err instanceof StorageError && err.reason === 'not_found') return null;
      throw err;
    }
  }

  async list(prefix: string, options: OpOptions = {}): Promise<ObjectInfo[]> {
    assertPrefix(prefix);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send(`listing ${prefix}`, options.signal, (abortSignal) =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          sendOpts(abortSignal),
        ),
      );
      for (const c of page.Contents ?? []) {
        const key = (c.Key ?? '').slice(this.#prefix.length);
        // Objects other tools put under our prefix with keys we would refuse (folder markers…) are not ours.
        if (keyProblem(key) !== null) continue;
        out.push({ key, size: c.Size ?? 0, lastModifiedMs: c.LastModified?.getTime() ?? 0, etag: unquote(c.ETag), sha256: null });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string, options: OpOptions = {}): Promise<void> {
    const full = this.#full(key);
    try {
      await this.#send(`deleting ${key}`, options.signal, (abortSignal) =>
        this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: full }), sendOpts(abortSignal)),
      );
    } catch (err) {
      if (err instanceof StorageError && err.reason === 'not_found') return; // some S3-compatibles answer 404
      throw err;
    }
  }

  async link(key: string, ttlSec: number): Promise<string> {
    const full = this.#full(key);
    assertLinkTtl(ttlSec);
    try {
      return await getSignedUrl(
        this.#signer,
        new GetObjectCommand({ Bucket: this.#bucket, Key: full, ResponseContentDisposition: attachmentDisposition(key) }),
        { expiresIn: ttlSec, signingDate: new Date(this.#now()) },
      );
    } catch (err) {
      throw s3Error(err, `signing a link to ${key}`);
    }
  }

  async abortIncompleteUploads(olderThanMs: number, options: OpOptions = {}): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.#send('listing incomplete uploads', options.signal, (abortSignal) =>
        this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: this.#prefix,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
          }),
          sendOpts(abortSignal),
        ),
      );
      for (const u of page.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined || (u.Initiated?.getTime() ?? Infinity) >= olderThanMs) continue;
        const { Key, UploadId } = u;
        await this.#send(`aborting an upload of ${Key}`, options.signal, (abortSignal) =>
          this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId }), sendOpts(abortSignal)),
        ).catch((err: unknown) => {
          if (!(err instanceof StorageError && err.reason === 'upload_lost')) throw err;
        });
        aborted += 1;
      }
      if (page.IsTruncated !== true) return aborted;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

type Send = <T>(what: string, signal: AbortSignal | undefined, run: (abortSignal?: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * A resumed upload the store could not be asked about (no ListParts) that the store keeps answering
 * InternalError when completing is taken as unknown: s3rver, for one, answers an unknown upload id that way.
 * A store that is down fails differently (no answer at all) and is retried for as long as the caller likes.
 */
const UNVERIFIED_COMPLETE_FAILURES = 3;

function isInternalErrorAnswer(err: unknown): boolean {
  const cause = err instanceof StorageError ? err.cause : err;
  const e = (typeof cause === 'object' && cause !== null ? cause : {}) as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'InternalError' && e.$metadata?.httpStatusCode === 500;
}

class S3Multipart implements MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly #full: string;
  readonly #bucket: string;
  readonly #client: S3Client;
  readonly #send: Send;
  readonly #etags = new Map<number, string>();
  readonly #unverified: boolean;
  #internalErrors = 0;

  constructor(
    key: string,
    full: string,
    uploadId: string,
    bucket: string,
    client: S3Client,
    send: Send,
    recorded: readonly RecordedPart[] = [],
    unverified = false,
  ) {
    this.key = key;
    this.#full = full;
    this.uploadId = uploadId;
    this.#bucket = bucket;
    this.#client = client;
    this.#send = send;
    for (const p of recorded) this.#etags.set(p.partNumber, p.etag);
    this.#unverified = unverified;
  }

  #ids() {
    return { Bucket: this.#bucket, Key: this.#full, UploadId: this.uploadId };
  }

  async uploadPart(partNumber: number, bytes: Uint8Array, options: OpOptions = {}): Promise<SentPart> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > S3_MAX_PARTS) {
      throw new StorageError('rejected', `part number ${partNumber} is outside 1…${S3_MAX_PARTS}`);
    }
    const r = await this.#send(`uploading part ${partNumber} of ${this.key}`, options.signal, (abortSignal) =>
      this.#client.send(
        new UploadPartCommand({ ...this.#ids(), PartNumber: partNumber, Body: bytes, ContentLength: bytes.length, ContentMD5: md5(bytes) }),
        sendOpts(abortSignal),
      ),
    );
    if (r.ETag === undefined) throw new StorageError('rejected', `uploading part ${partNumber} of ${this.key}: no ETag`);
    this.#etags.set(partNumber, r.ETag);
    return { partNumber, size: bytes.length, etag: r.ETag };
  }

  async complete(options: OpOptions = {}): Promise<void> {
    const parts = [...this.#etags.entries()].sort(([a], [b]) => a - b).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    if (parts.length === 0 || parts.some((p, i) => p.PartNumber !== i + 1)) {
      throw new StorageError('rejected', `completing ${this.key}: parts must be 1…n without gaps`);
    }
    try {
      await this.#send(`completing ${this.key}`, options.signal, (abortSignal) =>
        this.#client.send(new CompleteMultipartUploadCommand({ ...this.#ids(), MultipartUpload: { Parts: parts } }), sendOpts(abortSignal)),
      );
    } catch (err) {
      if (this.#unverified && isInternalErrorAnswer(err) && ++this.#internalErrors >= UNVERIFIED_COMPLETE_FAILURES) {
        throw new StorageError(
          'upload_lost',
          `completing ${this.key}: the store answered InternalError ${this.#internalErrors} times to a resumed upload it cannot list; taken as an upload id it no longer knows`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  async abort(options: OpOptions = {}): Promise<void> {
    try {
      await this.#send(`aborting the upload of ${this.key}`, options.signal, (abortSignal) =>
        this.#client.send(new AbortMultipartUploadCommand(this.#ids()), sendOpts(abortSignal)),
      );
    } catch (err) {
      if (err instanceof StorageError && err.reason === 'upload_lost') return;
      throw err;
    }
  }
}
