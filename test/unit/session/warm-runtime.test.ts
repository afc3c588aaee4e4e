import { describe, expect, it } from 'vitest';
import type { CaptureSpec, PreparedCapture } from '../../../src/capture/capture-backend.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { parseMeetingUrl } from '../../../src/domain/meeting-target.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { RecordingSession } from '../../../src/session/recording-session.ts';
import { sessionOutputs } from '../../../src/session/session-outputs.ts';
import type { SessionBrowser } from '../../../src/session/session-runtime.ts';
import type { RecordingRequest } from '../../../src/session/session-types.ts';
import { sameSpec, startWarmEnv, type WarmEnv } from '../../../src/session/warm-env.ts';
import { withWarmEnvs } from '../../../src/session/warm-runtime.ts';
import { FakeRuntime } from './fake-runtime.ts';

const config = loadConfig({ env: {}, overrides: { recordingsDir: '/rec', workDir: '/work', logLevel: 'silent' } });
const SPEC_720: CaptureSpec = { width: 1280, height: 720, fps: config.capture.fps, audioOffsetMs: config.capture.audioOffsetMs };
const log = createLogger({ level: 'silent' });

function request(resolution: '720p' | '1080p'): RecordingRequest {
  return {
    sessionId: 's1',
    target: parseMeetingUrl('https://meet.example.com/acme/room', false),
    login: null,
    roomPassword: null,
    resolution,
    maxDurationSec: 60,
    outputs: sessionOutputs([{ kind: 'file', resolution }]),
    fileRecordingMetadata: {},
  };
}

/** A warm environment whose parts log into `calls`; its page comes from the fake runtime's browser. */
async function warmEnv(fake: FakeRuntime, calls: string[]): Promise<WarmEnv> {
  const rt = fake.runtime();
  const coldBrowser = await rt.browsers.launch({
    workDir: '/w',
    width: 1,
    height: 1,
    capture: { env: {}, headless: true, kiosk: false },
    signal: new AbortController().signal,
  });
  fake.calls.length = 0;
  const capture: PreparedCapture = {
    browser: { env: { DISPLAY: ':99' }, headless: false, kiosk: true },
    ffmpegInputs: [],
    ffmpegEnv: {},
    helperPids: [901, 902],
    helperDied: new Promise(() => {}),
    close: async () => void calls.push('warm capture.close'),
  };
  const browser: SessionBrowser = {
    pid: 903,
    openTab: () => coldBrowser.openTab(),
    onDisconnect: () => {},
    close: async () => void calls.push('warm browser.close'),
  };
  return { workDir: '/work/warm-1', spec: SPEC_720, capture, browser };
}

function wrap(fake: FakeRuntime, env: WarmEnv | null, calls: string[]) {
  const base = fake.runtime();
  return withWarmEnvs(
    {
      ...base,
      scratch: {
        create: base.scratch.create,
        remove: async (dir) => {
          calls.push(`remove ${dir}`);
          await base.scratch.remove(dir);
        },
      },
    },
    {
      take: (spec) => {
        if (env === null || !sameSpec(env.spec, spec)) return null;
        const taken = env;
        env = null;
        return taken;
      },
    },
    log,
  );
}

describe('withWarmEnvs', () => {
  it('a session gets the warm display and browser through the usual calls, and releases them at its end', async () => {
    const fake = new FakeRuntime();
    const calls: string[] = [];
    const env = await warmEnv(fake, calls);
    const session = new RecordingSession(request('720p'), { config, runtime: wrap(fake, env, calls), logger: log });
    session.on('state', (s) => s.status === 'running' && session.stop());
    const result = await session.run();
    expect(result.status).toBe('finished');
    // No cold start: neither the backend's prepare nor a browser launch ran.
    expect(fake.calls).not.toContain('prepare');
    expect(fake.calls).not.toContain('launch');
    expect(fake.calls).toContain('ffmpeg.start');
    expect(calls).toEqual([
      'warm browser.close',
      'warm capture.close',
      'warm browser.close',
      'warm capture.close',
      'remove /work/warm-1',
      'remove /work/s1-abc',
    ]);
  });

  it('a session that needs another resolution starts cold and leaves the warm environment alone', async () => {
    const fake = new FakeRuntime();
    const calls: string[] = [];
    const env = await warmEnv(fake, calls);
    const session = new RecordingSession(request('1080p'), { config, runtime: wrap(fake, env, calls), logger: log });
    session.on('state', (s) => s.status === 'running' && session.stop());
    expect((await session.run()).status).toBe('finished');
    expect(fake.calls).toContain('prepare');
    expect(fake.calls).toContain('launch');
    expect(calls).toEqual(['remove /work/s1-abc']);
  });

  it('a session stopped before its browser launch still gets the warm browser closed', async () => {
    const fake = new FakeRuntime();
    const calls: string[] = [];
    const env = await warmEnv(fake, calls);
    const session = new RecordingSession(request('720p'), { config, runtime: wrap(fake, env, calls), logger: log });
    session.on('state', (s) => s.status === 'starting' && s.step === 'launching' && session.stop());
    await session.run();
    expect(calls).toContain('warm browser.close');
    expect(calls).toContain('warm capture.close');
    expect(calls.slice(-2)).toEqual(['remove /work/warm-1', 'remove /work/s1-abc']);
  });
});

describe('startWarmEnv', () => {
  it('makes the environment with the runtime calls a session makes, and undoes them when one fails', async () => {
    const ok = new FakeRuntime();
    const env = await startWarmEnv(ok.runtime(), SPEC_720, new AbortController().signal);
    expect(env.workDir).toBe('/work/s1-abc');
    expect(ok.calls).toEqual(['scratch.create', 'prepare', 'capture.prepared', 'launch', 'browser.launched']);

    const failing = new FakeRuntime({ failStep: { step: 'launch', error: new Error('no chromium') } });
    await expect(startWarmEnv(failing.runtime(), SPEC_720, new AbortController().signal)).rejects.toThrow('no chromium');
    expect(failing.leaks()).toEqual([]);
  });
});
