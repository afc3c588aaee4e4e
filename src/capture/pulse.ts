/**
 * A private PulseAudio server per session with one null sink: Chromium plays into it, ffmpeg records its
 * monitor. No sound card, no ALSA loopback kernel module, no privileges; each session hears only itself.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { ScribaError } from '../domain/errors.ts';
import { sleep } from '../lib/abort.ts';
import { spawnHelper, type HelperProcess } from './helper-process.ts';

export const NULL_SINK = 'scriba';
export const MONITOR_SOURCE = `${NULL_SINK}.monitor`;
/** A source of silence, looped into the sink to keep it rendering in short blocks (see buildPulseArgs). */
const QUIET_SOURCE = 'scriba_quiet';
/**
 * The playback buffer libpulse clients get (PULSE_LATENCY_MSEC in their environment, see x11-pulse-backend.ts),
 * and the silence loop's latency, so the loop never asks the sink for shorter blocks than the page does.
 */
export const PLAYBACK_LATENCY_MSEC = 60;
/**
 * The null sink's own rate, unlike the 48 kHz that Chromium plays and ffmpeg records (PulseAudio resamples
 * into and out of it). A null sink keeps time by adding each chunk it renders, converted to whole
 * microseconds and rounded down, to its clock. At 48 kHz a frame lasts 20.83 µs, so every chunk whose length
 * is not a multiple of 6 frames is counted short, and the sink renders more sound than real time: measured
 * here 73–80 ppm with one playing client and the silence loop, 116 ppm in a recording session. The file lays
 * the audio out by its sample count against wall-clock video, so the sound slid later by ~7 ms a minute
 * until ffmpeg's 100 ms correction snapped it back (a 14-minute saw-tooth over a 30-minute recording). At
 * 50 kHz a frame lasts exactly 20 µs and the clock is exact (measured −1.4 ppm). The two conversions cost
 * PulseAudio well under 0.01 cores. The silence loop keeps the sink in use, which keeps it at this rate:
 * PulseAudio switches an unused null sink to the rate of the first stream that connects (seen here).
 */
export const SINK_RATE_HZ = 50_000;

export interface PulseServer {
  /** PULSE_SERVER value, e.g. unix:/tmp/x/pulse/native */
  readonly server: string;
  readonly monitorSource: string;
  readonly process: HelperProcess;
}

/**
 * Pure: the pulseaudio command line for a private server on a unix socket.
 *
 * The last two modules play silence into the sink for as long as the server runs. Idle, a null sink renders
 * (and so feeds its monitor) in 2 s blocks, and a new record stream's first data waits for the block under
 * way to end: ffmpeg's pulse input then took 0.6–2 s to open. ffmpeg opens x11grab first, and x11grab paces
 * its grabs from its own opening, so it then grabbed the frames it was "behind" back to back, which cfr
 * drops and repeats (measured on a still display, 10 s: dup+drop 114–122). The looped-back silence keeps the
 * sink rendering in short blocks (once the sink's clock restarts, see SINK_CLOCK_RESTART): the monitor opens
 * in about 40 ms. Silence adds nothing to the mix, and it costs the server about 0.006 cores.
 */
export function buildPulseArgs(socketPath: string, sinkRateHz: number = SINK_RATE_HZ): string[] {
  return [
    '--daemonize=no',
    '--exit-idle-time=-1', // never exit on its own while the session is quiet
    '-n', // no default.pa: no hardware modules, no D-Bus, only what we load below
    '--use-pid-file=no',
    '--log-target=stderr',
    '--realtime=no',
    '--high-priority=no',
    `--load=module-native-protocol-unix socket=${socketPath} auth-anonymous=1`,
    `--load=module-null-sink sink_name=${NULL_SINK} rate=${sinkRateHz} channels=2 sink_properties=device.description=scriba`,
    `--load=module-null-source source_name=${QUIET_SOURCE} rate=${sinkRateHz} channels=2`,
    `--load=module-loopback source=${QUIET_SOURCE} sink=${NULL_SINK} latency_msec=${PLAYBACK_LATENCY_MSEC} source_dont_move=1 sink_dont_move=1 remix=0`,
  ];
}

/**
 * Pure: the server's daemon.conf. Clients such as Chromium open their streams at the server's default
 * sample rate, which is 44.1 kHz unless set. The 48 kHz that the page decodes (Opus) and ffmpeg records
 * leaves PulseAudio's conversions into and out of the sink (SINK_RATE_HZ) as the only ones.
 */
export function buildPulseDaemonConf(sampleRate: number): string {
  return `default-sample-rate = ${sampleRate}\nalternate-sample-rate = ${sampleRate}\n`;
}

/**
 * pactl commands run once the server is up. The null sink renders its first block as soon as it exists, 2 s
 * long because no stream has asked for less yet, and only the blocks after that one follow the looped-back
 * silence: a capture starting within 2 s of the server (a cold session joins in about 1 s) still waited for
 * it. Suspending and resuming the sink restarts its clock with the short block at once (measured: ffmpeg's
 * pulse input then opens ~40 ms after the server is up, instead of 0.7–2 s).
 */
export const SINK_CLOCK_RESTART: readonly (readonly string[])[] = [
  ['suspend-sink', NULL_SINK, '1'],
  ['suspend-sink', NULL_SINK, '0'],
];

/** Best effort: without pactl (pulseaudio-utils) the only cost is a slower first open of the sound. */
async function restartSinkClock(server: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<void> {
  for (const args of SINK_CLOCK_RESTART) {
    const ok = await new Promise<boolean>((resolve) => {
      execFile('pactl', args, { env: { ...env, PULSE_SERVER: server }, signal, timeout: 5000 }, (err) => resolve(err === null));
    });
    if (!ok) return;
  }
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
  /** Only bench:sink-clock sets this, to show what another rate does to the sink's clock. */
  sinkRateHz?: number;
  timeoutMs?: number;
}): Promise<PulseServer> {
  const socketPath = `${opts.runtimeDir}/pulse.sock`;
  const sampleRate = opts.sampleRate ?? 48_000;
  // PulseAudio reads $XDG_CONFIG_HOME/pulse/daemon.conf; the session's XDG_CONFIG_HOME is private to it.
  const configHome = opts.env['XDG_CONFIG_HOME'];
  if (configHome) {
    await mkdir(`${configHome}/pulse`, { recursive: true, mode: 0o700 });
    await writeFile(`${configHome}/pulse/daemon.conf`, buildPulseDaemonConf(sampleRate), { mode: 0o600 });
  }
  const proc = spawnHelper('pulseaudio', 'pulseaudio', buildPulseArgs(socketPath, opts.sinkRateHz), { env: opts.env });
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
    const server = `unix:${socketPath}`;
    await restartSinkClock(server, opts.env, opts.signal);
    opts.signal.throwIfAborted();
    return { server, monitorSource: MONITOR_SOURCE, process: proc };
  } catch (err) {
    await proc.stop(1000);
    throw err;
  }
}
