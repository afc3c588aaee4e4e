/**
 * An S3-compatible server for tests: s3rver (npm), in-process, on a free 127.0.0.1 port, data in a temp
 * directory. `stop()` drops every connection at once (as a crash would) and `start()` brings it back on the
 * same port with the same data, multipart uploads in progress included.
 *
 * s3rver quirks (3.7.1 on Node 24): it does not verify SigV4 signatures (any secret works, but the access key
 * id must be S3RVER); presigned-URL expiry is checked; AbortMultipartUpload answers 405, ListParts 405 and
 * ListMultipartUploads 501; a listing that would be truncated (> 1,000 keys or MaxKeys) fails with 500 (its
 * continuation token uses DES, which OpenSSL 3 lacks); aws-chunked request bodies (the SDK's default for
 * streamed bodies) are stored with their chunk framing; Content-MD5 is not checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}

type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: ReadonlyArray<{ name: string }>;
}) => S3rverInstance;

// s3rver is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3TestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly dir: string;
  isRunning(): boolean;
  /** Drops all connections and stops listening (the data stays). */
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops and deletes the data. */
  close(): Promise<void>;
}

export async function startS3Server(opts: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'scriba-test';
  const dir = mkdtempSync(join(tmpdir(), 'scriba-s3rver-'));
  let port = 0;
  let server: S3rverInstance | null = null;

  async function start(): Promise<void> {
    if (server !== null) return;
    const s = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
    const info = await s.run();
    port = info.port;
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    if (s === null) return;
    server = null;
    s.httpServer?.closeAllConnections();
    await s.close();
  }

  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    dir,
    isRunning: () => server !== null,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
