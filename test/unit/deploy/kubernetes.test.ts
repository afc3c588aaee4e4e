/** The manifests cannot be applied here: keep them consistent with the worker's behaviour by construction. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';

const worker = readFileSync('deploy/kubernetes/worker-deployment.yaml', 'utf8');
const keda = readFileSync('deploy/kubernetes/worker-keda.yaml', 'utf8');
const env = (name: string) => new RegExp(`name: ${name}, value: "?([^"} ]+)"?`).exec(worker)?.[1];

describe('deploy/kubernetes', () => {
  it('gives the pod longer to terminate than the drain grace plus ffmpeg stop grace', () => {
    const termination = Number(/terminationGracePeriodSeconds: (\d+)/.exec(worker)?.[1]);
    const drain = Number(env('SCRIBA_DRAIN_GRACE_SEC'));
    expect(drain).toBeGreaterThan(0);
    expect(termination).toBeGreaterThanOrEqual(drain + loadConfig({ env: {} }).stopGraceSec + 30);
  });
  it('sizes the admission budget inside the CPU limit and probes readiness on /readyz', () => {
    const cpuLimit = Number(/limits: \{ cpu: "(\d+(?:\.\d+)?)"/.exec(worker)?.[1]);
    expect(Number(env('SCRIBA_WORKER_CORES'))).toBeLessThanOrEqual(cpuLimit);
    expect(worker).toMatch(/readinessProbe:\s+httpGet: \{ path: \/readyz/);
    expect(worker).toMatch(/runAsNonRoot: true/);
    expect(worker).toMatch(/capabilities: \{ drop: \["ALL"\] \}/);
    expect(worker).not.toMatch(/privileged: true|\/dev\/snd|hostPath/);
  });
  it('scales on the BullMQ wait list of the configured queue name', () => {
    expect(keda).toContain(`listName: bull:${loadConfig({ env: {} }).queue.name}:wait`);
    expect(worker).toContain('SCRIBA_REDIS_ADDRESS');
  });
});
