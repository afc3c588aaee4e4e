/**
 * npm run bench:cli-start — how long `scriba record` takes from process start to its `launching` step (the
 * moment it starts the capture environment), with Node's compile cache and without it
 * (NODE_DISABLE_COMPILE_CACHE=1), BENCH_RUNS runs each (default 9) after one run that fills the cache. The
 * meeting URL is a closed loopback port: the step comes before any network use, and the command is killed
 * there. Writes bench/results/cli-start.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLUSH_AFTER_MS } from '../src/cli/compile-cache.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 9);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

/**
 * ms from spawn to the log line of the `launching` step (pino's epoch-ms `time`); the command is killed then,
 * or lingerMs later.
 */
function untilLaunching(env: NodeJS.ProcessEnv, out: string, lingerMs = 0): Promise<number> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [MAIN, 'record', '--url', 'http://127.0.0.1:9/room', '--out', out, '--log-level', 'info'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    let found: number | undefined;
    const scan = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (found !== undefined || !line.includes('"launching"')) continue;
        found = (JSON.parse(line) as { time: number }).time - startedAt;
        setTimeout(() => child.kill('SIGKILL'), lingerMs);
      }
    };
    child.stdout.on('data', scan);
    child.stderr.on('data', scan);
    child.on('error', reject);
    child.on('exit', () => (found === undefined ? reject(new Error('no launching step logged')) : resolve(found)));
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'scriba-bench-cli-'));
try {
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: join(work, 'cache') };
  delete base['NODE_DISABLE_COMPILE_CACHE'];
  const variants = { cached: base, uncached: { ...base, NODE_DISABLE_COMPILE_CACHE: '1' } };
  // Fills the cache: the command writes it FLUSH_AFTER_MS after its start (it is killed, so not at exit).
  await untilLaunching(base, join(work, 'out'), FLUSH_AFTER_MS + 1_000);
  const runs: Record<string, number[]> = { cached: [], uncached: [] };
  // Interleaved, so a change in the machine's load affects both alike.
  for (let i = 0; i < RUNS; i++) {
    for (const [name, env] of Object.entries(variants)) runs[name]!.push(await untilLaunching(env, join(work, 'out')));
  }
  const result = {
    measured: '`scriba record` from process start to its launching step, ms (spawned with the Node running this bench)',
    node: process.version,
    machine: { cores: cpus().length, loadAverageAtEnd: loadavg()[0] },
    runs: RUNS,
    medianMs: { cached: median(runs['cached']!), uncached: median(runs['uncached']!) },
    samplesMs: runs,
    aimMs: 300,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/cli-start.json', `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result.medianMs)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
