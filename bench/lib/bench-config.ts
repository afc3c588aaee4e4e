/**
 * The configuration every end-to-end benchmark starts from: everything under a fresh temporary directory,
 * loopback meetings allowed, quiet logs, servers on free ports. Each benchmark adds what it measures.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig, type ScribaConfig } from '../../src/config/config.ts';

type Overrides = Record<string, Record<string, unknown>>;

export function benchConfig(name: string, overrides: Overrides = {}): { config: ScribaConfig; dir: string } {
  const dir = mkdtempSync(`${tmpdir()}/scriba-bench-${name}-`);
  const base: Overrides = {
    meeting: { allowHttp: true },
    checks: { maxDurationSec: 3600 },
    queue: { backend: 'sqlite', sqlitePath: `${dir}/queue.sqlite` },
    worker: { port: 0, allowedMeetingHosts: ['127.0.0.1:*'] },
    api: { port: 0 },
    storage: { backend: 'none' },
    webhooks: { outboxPath: `${dir}/webhooks.sqlite` },
  };
  const merged: Overrides = { ...base };
  for (const [k, v] of Object.entries(overrides)) merged[k] = { ...(base[k] ?? {}), ...v };
  const config = loadConfig({
    env: {},
    overrides: { recordingsDir: `${dir}/recordings`, workDir: `${dir}/work`, logLevel: 'warn', ...merged },
  });
  return { config, dir };
}
