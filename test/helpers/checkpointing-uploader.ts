/**
 * A stand-in for a recording worker's storage side, run as its own process so a test can SIGKILL its whole
 * tree: ffmpeg writes a fragmented MP4 (the recording leg's muxer options) from lavfi at real time (constant
 * bitrate, so parts fill at a known pace), and the
 * growing-file upload sends it to an S3-compatible store with checkpoints, each written atomically to a JSON
 * file (where a queue would keep it). Prints one JSON line per checkpoint.
 *
 * argv[2]: JSON { endpoint, bucket, prefix, path, key, checkpointFile, tailIntervalMs, bitrate }
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { fragmentedMp4Leg } from '../../src/ffmpeg/output-legs.ts';
import { createLogger } from '../../src/log/logger.ts';
import { mp4FragmentBoundary } from '../../src/storage/content-boundary.ts';
import { startGrowingFileUpload } from '../../src/storage/growing-file-upload.ts';
import { createS3Store } from '../../src/storage/s3-store.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as {
  endpoint: string;
  bucket: string;
  prefix: string;
  path: string;
  key: string;
  checkpointFile: string;
  tailIntervalMs: number;
  bitrate: string;
};

const leg = fragmentedMp4Leg(o.path);
const ffmpeg = spawn(
  'ffmpeg',
  [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x180:rate=15',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    o.bitrate,
    '-minrate',
    o.bitrate,
    '-maxrate',
    o.bitrate,
    '-bufsize',
    o.bitrate,
    '-x264-params',
    'nal-hrd=cbr',
    '-g',
    '15',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    // The recording leg's own muxer options.
    '-f',
    leg.format,
    ...leg.muxerOptions.flatMap(([name, value]) => [`-${name}`, value]),
    '-y',
    leg.target,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
ffmpeg.on('exit', (code, signal) => console.log(JSON.stringify({ ffmpegExit: code ?? signal })));

const store = createS3Store({
  bucket: o.bucket,
  endpoint: o.endpoint,
  forcePathStyle: true,
  prefix: o.prefix,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});

startGrowingFileUpload({
  store,
  key: o.key,
  path: o.path,
  contentType: 'video/mp4',
  partSize: 5 * 1024 * 1024,
  pollMs: 250,
  recheck: 'first-part',
  logger: createLogger({ level: 'silent' }),
  checkpoint: {
    tailIntervalMs: o.tailIntervalMs,
    boundary: mp4FragmentBoundary(),
    onCheckpoint: (cp) => {
      writeFileSync(`${o.checkpointFile}.tmp`, JSON.stringify(cp));
      renameSync(`${o.checkpointFile}.tmp`, o.checkpointFile);
      console.log(JSON.stringify({ atMs: Date.now(), bytes: cp.bytes, parts: cp.parts.length, tail: cp.tail.length }));
    },
  },
});
console.log(JSON.stringify({ ffmpegPid: ffmpeg.pid }));
