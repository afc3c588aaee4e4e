import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { recorderLogin } from '../../../src/session/recorder-login.ts';

const env = (name: string, callLogin: unknown) => ({
  name,
  xmppServerHosts: ['xmpp.example.com'],
  xmppDomain: 'meet.example.com',
  controlLogin: { domain: 'auth.meet.example.com', username: 'jibri', password: 'control-pw' },
  controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery', nickname: 'scriba' },
  callLogin,
});

const config = loadConfig({
  env: {},
  overrides: {
    meeting: { xmppDomain: 'recorder.default.example', xmppUsername: 'rec', xmppPassword: 'default-pw' },
    xmpp: {
      singleUseMode: false,
      environments: [env('prod', { domain: 'recorder.meet.example.com', username: 'recorder', password: 'call-pw' }), env('guest', null)],
    },
  },
});

describe('recorderLogin', () => {
  it("uses the brewery environment's call-login for its sessions, with a stable per-session suffix", () => {
    const login = recorderLogin(config, 'sess-1', 'prod');
    expect(login).toMatchObject({ domain: 'recorder.meet.example.com', username: 'recorder', password: 'call-pw' });
    expect(login?.randomSuffix).toMatch(/^-[0-9a-f]{8}$/);
    expect(recorderLogin(config, 'sess-1', 'prod')?.randomSuffix).toBe(login?.randomSuffix);
  });

  it('joins as a guest when the environment has no call-login', () => {
    expect(recorderLogin(config, 'sess-1', 'guest')).toBeNull();
  });

  it("API jobs (and unknown environments) use the meeting section's login", () => {
    expect(recorderLogin(config, 'sess-1')).toMatchObject({ domain: 'recorder.default.example', username: 'rec', password: 'default-pw' });
    expect(recorderLogin(config, 'sess-1', 'gone')).toMatchObject({ username: 'rec' });
  });
});
