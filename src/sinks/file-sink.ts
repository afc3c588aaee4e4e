/**
 * File output. While recording, ffmpeg writes a fragmented MP4 (a fragment per second, each self-contained)
 * at the final path: killed at any instant, the file still plays up to its last fragment. At the end it is
 * remuxed (stream copy, seconds even for hours) into a standard MP4 with the index in front, which every
 * player opens and seeks, and atomically renamed over the fragmented one.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { buildRemuxToMp4Command, fragmentedMp4Leg, startFfmpeg } from '../ffmpeg/index.ts';
import type { FileSinkResult, Sink, SinkDeps, SinkSpec } from './sink.ts';

async function sizeOf(path: string): Promise<number | null> {
  return stat(path).then(
    (s) => s.size,
    () => null,
  );
}

export function createFileSink(spec: Extract<SinkSpec, { kind: 'file' }>, deps: SinkDeps): Sink {
  return {
    spec,
    leg: fragmentedMp4Leg(spec.path),
    start: () => undefined, // ffmpeg writes the file itself
    pids: () => [],
    async finalize(signal: AbortSignal): Promise<FileSinkResult | null> {
      const fragmentedSize = await sizeOf(spec.path);
      if (fragmentedSize === null || fragmentedSize === 0) {
        await rm(spec.path, { force: true });
        return null;
      }
      // Uploaded while recording: the stored object is this fragmented MP4 (ISO BMFF, plays everywhere), so
      // rewriting it here would only make the local copy differ from what was verified.
      if (spec.remux === false) return { kind: 'file', path: spec.path, sizeBytes: fragmentedSize, finalized: true, warning: null };
      const tmp = `${spec.path}.remux.mp4`;
      const remux = startFfmpeg(buildRemuxToMp4Command(spec.path, tmp), { signal, ffmpegPath: deps.ffmpegPath });
      const exit = await remux.exited;
      const remuxedSize = await sizeOf(tmp);
      if (exit.code === 0 && remuxedSize !== null && remuxedSize > 0) {
        await rename(tmp, spec.path);
        return { kind: 'file', path: spec.path, sizeBytes: remuxedSize, finalized: true, warning: null };
      }
      await rm(tmp, { force: true });
      return {
        kind: 'file',
        path: spec.path,
        sizeBytes: fragmentedSize,
        finalized: false,
        warning: `remux to a standard MP4 failed (${exit.lastError ?? `exit ${exit.code}`}); the fragmented MP4 was kept and plays`,
      };
    },
  };
}
