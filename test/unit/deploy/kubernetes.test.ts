/** The manifests cannot be applied here: keep them consistent with the worker's behaviour by construction. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';

const worker = readFileSync('deploy/kubernetes/worker-deployment.yaml', 'utf8');
const keda = readFileSync('deploy/kubernetes/worker-keda.yaml', 'utf8');
const api = readFileSync('deploy/kubernetes/api-deployment.yaml', 'utf8');
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
  it('runs the API as `scriba api` behind a Service, hardened, with the same allow-lists as the workers', () => {
    expect(api).toMatch(/args: \["api"\]/);
    expect(api).toMatch(/kind: Service/);
    expect(api).toMatch(/readinessProbe:\s+httpGet: \{ path: \/healthz/);
    expect(api).toMatch(/readOnlyRootFilesystem: true/);
    const list = (doc: string, name: string) => new RegExp(`name: ${name}, value: "([^"]+)"`).exec(doc)?.[1];
    expect(list(api, 'SCRIBA_ALLOWED_MEETING_HOSTS')).toBe(list(worker, 'SCRIBA_ALLOWED_MEETING_HOSTS'));
    expect(api).toMatch(/SCRIBA_JWT_SECRETS\s+valueFrom: \{ secretKeyRef/);
  });
  it('keeps the webhook outbox on a volume and its secret in a Secret', () => {
    expect(worker).toMatch(/SCRIBA_WEBHOOK_OUTBOX_PATH, value: \/data\//);
    expect(worker).toMatch(/mountPath: \/data \}/);
    expect(worker).toMatch(/SCRIBA_WEBHOOK_SECRET\s+valueFrom: \{ secretKeyRef/);
  });
  it('uploads to S3 from the pods (an emptyDir dies with the pod)', () => {
    expect(env('SCRIBA_STORAGE_BACKEND')).toBe('s3');
    expect(env('SCRIBA_S3_BUCKET')).toBeTruthy();
    expect(worker).not.toMatch(/AWS_SECRET_ACCESS_KEY, value/);
  });
});
