/**
 * A process's proportional set size from /proc/<pid>/smaps_rollup, split by what the pages hold. The split
 * matters for sizing: file-backed pages (a program's code and read-only data: Chromium's binary, ffmpeg's
 * libraries, fonts) are the same pages for every session on a machine, so PSS divides them among all the
 * processes that map them, while anonymous and shared-memory pages belong to the one session.
 */
import { readFileSync } from 'node:fs';

export interface Pss {
  /** Pss: everything, kB. */
  readonly totalKb: number;
  /** Pss_File: mapped from files (code, read-only data), kB. */
  readonly fileKb: number;
  /** Pss_Anon: heaps, stacks, private copies (e.g. relocated data), kB. */
  readonly anonKb: number;
  /** Pss_Shmem: shared-memory buffers (frames passed between processes, x11grab's segments), kB. */
  readonly shmemKb: number;
}

export const NO_PSS: Pss = { totalKb: 0, fileKb: 0, anonKb: 0, shmemKb: 0 };

const field = (text: string, name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** Parses smaps_rollup's text (kernel ≥ 5.x has the Pss_* lines). */
export function parsePssRollup(text: string): Pss {
  return {
    totalKb: field(text, 'Pss'),
    fileKb: field(text, 'Pss_File'),
    anonKb: field(text, 'Pss_Anon'),
    shmemKb: field(text, 'Pss_Shmem'),
  };
}

/** The process's PSS, or nothing for one that has gone meanwhile. */
export function readPss(pid: number): Pss {
  try {
    return parsePssRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return NO_PSS;
  }
}

export function addPss(a: Pss, b: Pss): Pss {
  return {
    totalKb: a.totalKb + b.totalKb,
    fileKb: a.fileKb + b.fileKb,
    anonKb: a.anonKb + b.anonKb,
    shmemKb: a.shmemKb + b.shmemKb,
  };
}

export interface PssSplitMb {
  readonly fileMb: number;
  readonly anonMb: number;
  readonly shmemMb: number;
}

export function pssSplitMb(p: Pss): PssSplitMb {
  const mb = (kb: number) => Math.round(kb / 1024);
  return { fileMb: mb(p.fileKb), anonMb: mb(p.anonKb), shmemMb: mb(p.shmemKb) };
}

/** Definition text shared by the benchmarks' reports. */
export const PSS_SPLIT_DEFINITION =
  'the same peak by kind of page (smaps_rollup Pss_File, Pss_Anon, Pss_Shmem): fileMb is code and read-only data mapped from files (Chromium’s binary, ffmpeg’s libraries, fonts), the same pages for every session on a machine, which PSS divides among all processes that map them; anonMb (heaps, private copies) and shmemMb (frame buffers shared between a session’s processes) are the session’s own';
