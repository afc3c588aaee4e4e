/** The live progress line shown on a terminal while recording (pure formatting). */
import type { SessionProgress } from '../session/session-types.ts';

function clock(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(bytes / 1024)} kB`;
}

export function formatProgressLine(p: SessionProgress): string {
  const rate = p.bitrateKbps === null ? '   n/a' : `${Math.round(p.bitrateKbps).toString().padStart(6)}`;
  return `● REC ${clock(p.elapsedSec)}  ${p.fps.toFixed(1).padStart(4)} fps  ${rate} kbit/s  ${size(p.sizeBytes).padStart(8)}  dup ${p.dup} drop ${p.drop}`;
}
