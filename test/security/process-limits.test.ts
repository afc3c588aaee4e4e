/**
 * What an SRE would try against the processes themselves: a port already taken (the process must exit 1 so
 * a supervisor restarts it), slow clients trickling bodies during SIGTERM (shutdown stays bounded), and a full
 * disk under the queue (a clear 503, not a 500). Real child processes of `scriba`, loopback only.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApi } from '../../workers/api.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { spawnCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/processes.ts';
import { memoryLogger, testConfig } from '../helpers/recording.ts';

const root = mkdtempSync(join(tmpdir(), 'scriba-sec-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A config file and environment for a `scriba` child on private paths. */
function childEnv(name: string, config: Record<string, unknown>): NodeJS.ProcessEnv {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      recordingsDir: join(dir, 'recordings'),
      workDir: join(dir, 'work'),
      queue: { sqlitePath: join(dir, 'queue.sqlite') },
      webhooks: { outboxPath: join(dir, 'outbox.sqlite') },
      storage: { backend: 'none' },
      ...config,
    }),
  );
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], SCRIBA_CONFIG: file, SCRIBA_LOG_LEVEL: 'info' };
}

async function takenPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('security: processes', () => {
  it.each([
    ['worker', (port: number) => ({ worker: { port } })],
    ['serve', (port: number) => ({ api: { port }, auth: { enabled: false } })],
    ['api', (port: number) => ({ api: { port }, auth: { enabled: false } })],
  ] as const)(
    '`scriba %s` whose port is taken exits 1 at once',
    async (command, config) => {
      const { server, port } = await takenPort();
      try {
        const child = spawnCli([command], childEnv(`taken-${command}`, config(port)));
        const started = Date.now();
        const code = await Promise.race([child.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
        if (code === 'hung') child.child.kill('SIGKILL');
        expect(code, child.stderr()).toBe(1);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(child.stderr()).toMatch(/EADDRINUSE/);
      } finally {
        server.close();
      }
    },
    30_000,
  );

  it('five clients trickling bodies cannot hold SIGTERM past the close grace', async () => {
    const child = spawnCli(
      ['api'],
      childEnv('slow', { api: { port: 0, requestTimeoutSec: 30, closeGraceSec: 2 }, auth: { enabled: false } }),
    );
    try {
      expect(await waitUntil(() => /API listening/.test(child.stderr()), 20_000), child.stderr()).toBe(true);
      const url = /"url":"(http:\/\/[^"]+)"/.exec(child.stderr())![1]!;
      const { port } = new URL(url);
      const sockets: Socket[] = [];
      const timers: NodeJS.Timeout[] = [];
      for (let i = 0; i < 5; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        sockets.push(socket);
        socket.write('POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
        timers.push(setInterval(() => socket.writable && socket.write(' '), 500));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const stopAt = Date.now();
      child.child.kill('SIGTERM');
      const code = await Promise.race([child.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      const tookMs = Date.now() - stopAt;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(2000 + 3000);
    } finally {
      if (child.child.exitCode === null) child.child.kill('SIGKILL');
    }
  }, 40_000);

  // Needs root to mount a small tmpfs (CI and the developers' machines run as root); skipped elsewhere.
  const canMount = process.getuid?.() === 0;
  it.skipIf(!canMount)(
    'a full disk under the queue answers 503 queue_storage_full, not 500',
    async () => {
      const mountPoint = mkdtempSync(join(tmpdir(), 'scriba-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]);
      const log = memoryLogger();
      let api: Awaited<ReturnType<typeof startApi>> | null = null;
      const config = testConfig({
        queue: { backend: 'sqlite', sqlitePath: join(mountPoint, 'queue.sqlite') },
        worker: { allowedMeetingHosts: ['meet.example.com'] },
        api: { port: 0, bodyLimitBytes: 65536, maxQueued: 10_000, maxOpenPerTenant: 10_000, maxOpenPerUser: 10_000 },
        auth: { enabled: false },
      });
      const queue = createQueue(config);
      try {
        api = await startApi(config, log.logger, queue);
        // Fill what is left of the disk.
        try {
          writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
        } catch {
          // ENOSPC: full, as wanted
        }
        let status = 0;
        let body = '';
        for (let i = 0; i < 20 && status !== 503; i++) {
          const res = await fetch(`${api.url}/v1/sessions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              meetingUrl: `https://meet.example.com/full-${randomUUID()}`,
              mode: 'file',
              extraMetadata: { pad: 'x'.repeat(30_000) },
            }),
          });
          status = res.status;
          body = await res.text();
          expect([201, 503], body).toContain(status);
        }
        expect(status).toBe(503);
        expect(JSON.parse(body).error.code).toBe('queue_storage_full');
      } finally {
        await api?.close();
        await queue.close().catch(() => undefined);
        execFileSync('umount', ['-l', mountPoint]);
        rmSync(mountPoint, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
