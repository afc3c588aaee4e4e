import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadConfigWithJibri } from '../../../src/config/config.ts';
import { xmppSettings } from '../../../src/config/xmpp-config.ts';

const DEBIAN = resolve('test/fixtures/jibri/debian.conf');
const DOCKER = resolve('test/fixtures/jibri/docker.conf');
const dir = mkdtempSync(join(tmpdir(), 'scriba-xmpp-config-'));
let n = 0;
function jsonFile(value: unknown): string {
  const file = join(dir, `config-${n++}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const nativeEnv = {
  name: 'native',
  xmppServerHosts: ['xmpp.example.com'],
  xmppDomain: 'Meet.Example.com',
  controlLogin: { domain: 'auth.meet.example.com', username: 'jibri', password: 'pw' },
  controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery', nickname: 'scriba-1' },
};

describe('xmpp config: defaults and the native section', () => {
  it('has no environments by default', () => {
    const c = loadConfig({ env: {} });
    expect(c.xmpp).toEqual({ environments: [], singleUseMode: false });
    expect(c.jibriConfig).toBe('');
    expect(xmppSettings(c)).toBe(c.xmpp);
  });

  it('fills an environment the way Jibri would (base URL from the XMPP domain, port 5222, conference. stripped)', () => {
    const c = loadConfig({
      env: { SCRIBA_CONFIG: jsonFile({ xmpp: { environments: [nativeEnv] } }), SCRIBA_XMPP_SINGLE_USE_MODE: 'true' },
    });
    expect(c.xmpp.singleUseMode).toBe(true);
    expect(c.xmpp.environments).toEqual([
      {
        ...nativeEnv,
        xmppDomain: 'meet.example.com',
        baseUrl: 'https://meet.example.com',
        controlLogin: { ...nativeEnv.controlLogin, port: 5222 },
        callLogin: null,
        stripFromRoomDomain: 'conference.',
        usageTimeoutSec: 0,
        trustAllXmppCerts: false,
      },
    ]);
  });

  it('keeps a base URL with a path prefix, without the trailing slash', () => {
    const c = loadConfig({
      env: { SCRIBA_CONFIG: jsonFile({ xmpp: { environments: [{ ...nativeEnv, baseUrl: 'http://127.0.0.1:8080/meet/' }] } }) },
    });
    expect(c.xmpp.environments[0]?.baseUrl).toBe('http://127.0.0.1:8080/meet');
  });

  it.each([
    [{ baseUrl: 'ftp://meet.example.com' }, 'xmpp.environments.0.baseUrl: must use https://'],
    [{ baseUrl: 'https://user:pw@meet.example.com' }, 'xmpp.environments.0.baseUrl: must not contain a user name'],
    [{ baseUrl: 'https://meet.example.com/?a=1' }, 'xmpp.environments.0.baseUrl: must not have a query'],
    [{ xmppServerHosts: [] }, 'xmpp.environments.0.xmppServerHosts: name at least one'],
    [
      { xmppServerHosts: ['xmpp.example.com:5222'] },
      'xmpp.environments.0.xmppServerHosts.0: must be a host name or IP address without a port',
    ],
    [{ xmppDomain: 'meet example' }, 'xmpp.environments.0.xmppDomain: must be a domain name'],
    [{ controlLogin: { ...nativeEnv.controlLogin, port: 70000 } }, 'xmpp.environments.0.controlLogin.port'],
    [{ usageTimeoutSec: -1 }, 'xmpp.environments.0.usageTimeoutSec'],
    [{ secret: 'x' }, 'xmpp.environments.0: Unrecognized key'],
  ])('refuses %o naming the key', (patch, message) => {
    const env = { SCRIBA_CONFIG: jsonFile({ xmpp: { environments: [{ ...nativeEnv, ...patch }] } }) };
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('refuses two environments with one name', () => {
    const env = { SCRIBA_CONFIG: jsonFile({ xmpp: { environments: [nativeEnv, nativeEnv] } }) };
    expect(() => loadConfig({ env })).toThrow('xmpp.environments.1.name: environment names must be unique');
  });
});

describe('loadConfigWithJibri', () => {
  it('without a jibri.conf is loadConfig', async () => {
    const { config, jibri } = await loadConfigWithJibri({ env: {} });
    expect(jibri).toBeNull();
    expect(config.xmpp.environments).toEqual([]);
  });

  it('takes the environments, recordings directory and single-use mode from SCRIBA_JIBRI_CONFIG', async () => {
    const { config, jibri } = await loadConfigWithJibri({ env: { SCRIBA_JIBRI_CONFIG: DEBIAN, JIBRI_XMPP_PASSWORD: 'env-pw' } });
    expect(config.jibriConfig).toBe(DEBIAN);
    expect(config.recordingsDir).toBe('/srv/recordings');
    expect(config.xmpp.environments).toHaveLength(1);
    expect(config.xmpp.environments[0]).toMatchObject({
      name: 'prod environment',
      baseUrl: 'https://meet.example.com',
      controlLogin: { password: 'env-pw', port: 5222 },
      controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery' },
      callLogin: { domain: 'recorder.meet.example.com', username: 'recorder' },
    });
    expect(jibri?.ignoredKeys).toContain('jibri.ffmpeg');
  });

  it('takes the jibriConfig key from Scriba config file too', async () => {
    const { config } = await loadConfigWithJibri({ env: { SCRIBA_CONFIG: jsonFile({ jibriConfig: DOCKER }) } });
    expect(config.xmpp.environments[0]?.name).toBe('docker-0');
    expect(config.xmpp.environments[0]?.usageTimeoutSec).toBe(7200);
  });

  it("lets Scriba's own file, environment and flags win where both set a key", async () => {
    const { config } = await loadConfigWithJibri({
      env: {
        SCRIBA_JIBRI_CONFIG: DEBIAN,
        SCRIBA_RECORDINGS_DIR: '/var/scriba',
        SCRIBA_XMPP_SINGLE_USE_MODE: 'true',
        SCRIBA_CONFIG: jsonFile({ xmpp: { environments: [nativeEnv] } }),
      },
    });
    expect(config.recordingsDir).toBe('/var/scriba');
    expect(config.xmpp.singleUseMode).toBe(true);
    expect(config.xmpp.environments.map((e) => e.name)).toEqual(['native']);
    const flags = await loadConfigWithJibri({ env: { SCRIBA_JIBRI_CONFIG: DEBIAN }, overrides: { recordingsDir: '/flag' } });
    expect(flags.config.recordingsDir).toBe('/flag');
  });

  it('a broken jibri.conf stops the start with a ConfigError naming the file, not the secret', async () => {
    const err = await loadConfigWithJibri({ env: { SCRIBA_JIBRI_CONFIG: resolve('test/fixtures/jibri/broken.conf') } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/broken\.conf: .*line \d+/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('a jibri.conf value that Scriba refuses is reported by its Scriba key', async () => {
    const file = join(dir, 'bad-url.conf');
    writeFileSync(
      file,
      (await import('node:fs'))
        .readFileSync(DOCKER, 'utf8')
        .replace('base-url = "https://meet.example.org"', 'base-url = "meet.example.org"'),
    );
    await expect(loadConfigWithJibri({ env: { SCRIBA_JIBRI_CONFIG: file } })).rejects.toThrow(
      'xmpp.environments.0.baseUrl: must be an absolute',
    );
  });
});
