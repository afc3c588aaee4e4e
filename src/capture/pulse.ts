/**
 * A private PulseAudio server per session with one null sink: Chromium plays into it, ffmpeg records its
 * monitor. No sound card, no ALSA loopback kernel module, no privileges; each session hears only itself.
 */
import { access } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScribaError } from '../domain/errors.ts';
import { spawnHelper, type HelperProcess } from './helper-process.ts';

export const NULL_SINK = 'scriba';
export const MONITOR_SOURCE = `${NULL_SINK}.monitor`;

export interface PulseServer {
  /** PULSE_SERVER value, e.g. unix:/tmp/x/pulse/native */
  readonly server: string;
  readonly monitorSource: string;
  readonly process: HelperProcess;
}

/** Pure: the pulseaudio command line for a private server on a unix socket. */
export function buildPulseArgs(socketPath: string, sampleRate: number): string[] {
  return [
    '--daemonize=no',
    '--exit-idle-time=-1', // never exit on its own while the session is quiet
    '-n', // no default.pa: no hardware modules, no D-Bus, only what we load below
    '--use-pid-file=no',
    '--log-target=stderr',
    '--realtime=no',
    '--high-priority=no',
    `--load=module-native-protocol-unix socket=${socketPath} auth-anonymous=1`,
    `--load=module-null-sink sink_name=${NULL_SINK} rate=${sampleRate} channels=2 sink_properties=device.description=scriba`,
  ];
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startPulse(opts: {
  runtimeDir: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  sampleRate?: number;
  timeoutMs?: number;
}): Promise<PulseServer> {
  const socketPath = `${opts.runtimeDir}/pulse.sock`;
  const proc = spawnHelper('pulseaudio', 'pulseaudio', buildPulseArgs(socketPath, opts.sampleRate ?? 48_000), { env: opts.env });
  let exitedEarly = false;
  void proc.exited.then(() => {
    exitedEarly = true;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  try {
    for (;;) {
      opts.signal.throwIfAborted();
      if (exitedEarly) {
        throw new ScribaError('helper_failed', `pulseaudio exited before it was ready: ${proc.recentOutput().trim()}`, {
          scope: 'system',
          retryable: true,
        });
      }
      const exists = await access(socketPath).then(
        () => true,
        () => false,
      );
      if (exists && (await canConnect(socketPath))) break;
      if (Date.now() > deadline) {
        throw new ScribaError('helper_failed', `pulseaudio did not open ${socketPath} in time: ${proc.recentOutput().trim()}`, {
          scope: 'system',
          retryable: true,
        });
      }
      await sleep(50);
    }
    return { server: `unix:${socketPath}`, monitorSource: MONITOR_SOURCE, process: proc };
  } catch (err) {
    await proc.stop(1000);
    throw err;
  }
}
