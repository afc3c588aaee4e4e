import { cpus, loadavg } from 'node:os';

/** What a results file says about the machine it was measured on, read when the measurement ends. */
export function machineAtEnd(): { cores: number; cpu: string; node: string; loadAverageAtEnd: number[] } {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
