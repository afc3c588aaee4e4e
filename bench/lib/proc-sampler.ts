/**
 * CPU and memory of a process tree from /proc: every second (or whenever the caller samples), each
 * descendant's utime+stime (kept at its maximum, so processes that exit still count) and the tree's summed
 * PSS (peak kept).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendants } from '../../test/helpers/processes.ts';
import { addPss, NO_PSS, type Pss, type PssSplitMb, pssSplitMb, readPss } from './pss.ts';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuTicks(pid: number): { ticks: number; comm: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(f[11]) + Number(f[12]), comm };
  } catch {
    return null;
  }
}

export interface TreeUsage {
  readonly wallSec: number;
  readonly cpuCores: number;
  readonly cpuCoresByProcess: Record<string, number>;
  readonly peakPssMb: number;
  /** What the peak was made of (bench/lib/pss.ts). */
  readonly peakPssSplitMb: PssSplitMb;
}

export interface ProcSamplerOptions {
  /** Processes (with everything under them) not to count, e.g. a test server or a stream reader the
   *  benchmark started itself. Called at every sample, so processes started later can be named. */
  readonly exclude?: () => readonly (number | undefined)[];
  /** Names a process in cpuCoresByProcess (default: its comm), asked once per pid. */
  readonly label?: (pid: number, comm: string) => string;
  /** Count these processes and everything under them instead of the root's descendants, e.g. one session's
   *  processes among several. Called at every sample. */
  readonly roots?: () => readonly number[];
}

export class ProcSampler {
  readonly #root: number;
  readonly #exclude: () => readonly (number | undefined)[];
  readonly #label: (pid: number, comm: string) => string;
  readonly #roots: (() => readonly number[]) | undefined;
  readonly #ticks = new Map<number, { ticks: number; comm: string; base: number }>();
  #peakPss: Pss = NO_PSS;
  #timer: NodeJS.Timeout | null = null;
  #startedAt = 0;

  constructor(root: number = process.pid, opts: ProcSamplerOptions = {}) {
    this.#root = root;
    this.#exclude = opts.exclude ?? (() => []);
    this.#label = opts.label ?? ((_pid, comm) => comm);
    this.#roots = opts.roots;
  }

  #pids(): Iterable<number> {
    if (!this.#roots) return descendants(this.#root);
    const all = new Set<number>();
    for (const pid of this.#roots()) {
      all.add(pid);
      for (const d of descendants(pid)) all.add(d);
    }
    return all;
  }

  /** One sample now (start() must have run): the tree's summed PSS at this moment. */
  sample(): Pss {
    return this.#sample(false);
  }

  #sample(baseline: boolean): Pss {
    let pss = NO_PSS;
    const excluded = new Set<number>();
    for (const pid of this.#exclude()) {
      if (pid === undefined) continue;
      excluded.add(pid);
      for (const d of descendants(pid)) excluded.add(d);
    }
    for (const pid of this.#pids()) {
      if (excluded.has(pid)) continue;
      const t = cpuTicks(pid);
      if (!t) continue;
      const known = this.#ticks.get(pid);
      // Processes already running at start only count what they use from now on.
      this.#ticks.set(pid, {
        ticks: Math.max(known?.ticks ?? 0, t.ticks),
        comm: known?.comm ?? this.#label(pid, t.comm),
        base: known?.base ?? (baseline ? t.ticks : 0),
      });
      pss = addPss(pss, readPss(pid));
    }
    if (pss.totalKb > this.#peakPss.totalKb) this.#peakPss = pss;
    return pss;
  }

  /** Takes the baseline, then samples every intervalMs; null: the caller samples (sample()). */
  start(intervalMs: number | null = 1000): void {
    this.#startedAt = performance.now();
    this.#sample(true);
    if (intervalMs !== null) this.#timer = setInterval(() => this.#sample(false), intervalMs);
  }

  stop(): TreeUsage {
    this.#sample(false);
    if (this.#timer) clearInterval(this.#timer);
    const wallSec = (performance.now() - this.#startedAt) / 1000;
    const byProcess: Record<string, number> = {};
    let total = 0;
    for (const { ticks, comm, base } of this.#ticks.values()) {
      const sec = (ticks - base) / CLK_TCK;
      total += sec;
      byProcess[comm] = (byProcess[comm] ?? 0) + sec / wallSec;
    }
    for (const k of Object.keys(byProcess)) byProcess[k] = Math.round(byProcess[k]! * 1000) / 1000;
    return {
      wallSec,
      cpuCores: Math.round((total / wallSec) * 1000) / 1000,
      cpuCoresByProcess: byProcess,
      peakPssMb: Math.round(this.#peakPss.totalKb / 1024),
      peakPssSplitMb: pssSplitMb(this.#peakPss),
    };
  }
}
