import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  jibriConfFromObject,
  JibriConfError,
  readJibriConf,
  reportJibriConf,
  unknownKeyPaths,
  usageTimeoutSeconds,
} from '../../../src/config/jibri-conf.ts';

const FIXTURES = 'test/fixtures/jibri';
const dir = mkdtempSync(join(tmpdir(), 'scriba-jibri-conf-'));
let n = 0;
function confFile(text: string): string {
  const file = join(dir, `jibri-${n++}.conf`);
  writeFileSync(file, text);
  return file;
}

/** A minimal valid environment entry in HOCON, with `extra` appended inside it. */
function envConf(extra = '', replace: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    name: 'name = "env"',
    hosts: 'xmpp-server-hosts = ["xmpp.example.com"]',
    domain: 'xmpp-domain = "meet.example.com"',
    login: 'control-login { domain = "auth.meet.example.com", username = "jibri", password = "pw-secret-1" }',
    muc: 'control-muc { domain = "internal.auth.meet.example.com", room-name = "JibriBrewery", nickname = "n1" }',
    call: 'call-login { domain = "recorder.meet.example.com", username = "recorder", password = "pw-secret-2" }',
    ...replace,
  };
  return `jibri.api.xmpp.environments = [ {\n${Object.values(fields).join('\n')}\n${extra}\n} ]\n`;
}

describe('readJibriConf: a Debian jitsi-meet host', () => {
  it('takes every brewery setting', async () => {
    const conf = await readJibriConf(`${FIXTURES}/debian.conf`, {});
    expect(conf.config).toEqual({
      xmpp: {
        singleUseMode: false,
        environments: [
          {
            name: 'prod environment',
            xmppServerHosts: ['meet.example.com'],
            xmppDomain: 'meet.example.com',
            baseUrl: '',
            controlLogin: { domain: 'auth.meet.example.com', username: 'jibri', password: 'jibri-auth-secret', port: 5222 },
            controlMuc: { domain: 'internal.auth.meet.example.com', roomName: 'JibriBrewery', nickname: 'jibri-host-1' },
            callLogin: { domain: 'recorder.meet.example.com', username: 'recorder', password: 'recorder-secret' },
            stripFromRoomDomain: 'conference.',
            usageTimeoutSec: 0,
            trustAllXmppCerts: true,
          },
        ],
      },
      recordingsDir: '/srv/recordings',
    });
    expect(conf.warnings).toEqual([]);
  });

  it('lists the keys it does not use, by path only', async () => {
    const conf = await readJibriConf(`${FIXTURES}/debian.conf`, {});
    // (The parser hands keys out sorted.)
    expect(conf.ignoredKeys).toEqual([
      'jibri.api.http',
      'jibri.call-status-checks',
      'jibri.chrome',
      'jibri.ffmpeg',
      'jibri.id',
      'jibri.recording.finalize-script',
      'jibri.stats',
    ]);
  });

  it('resolves ${?NAME} from the given environment, never from process.env', async () => {
    const withEnv = await readJibriConf(`${FIXTURES}/debian.conf`, { JIBRI_XMPP_PASSWORD: 'from-the-environment' });
    expect(withEnv.config.xmpp?.environments?.[0]?.controlLogin.password).toBe('from-the-environment');
    process.env['JIBRI_XMPP_PASSWORD'] = 'from-process-env';
    try {
      const without = await readJibriConf(`${FIXTURES}/debian.conf`, {});
      expect(without.config.xmpp?.environments?.[0]?.controlLogin.password).toBe('jibri-auth-secret');
    } finally {
      delete process.env['JIBRI_XMPP_PASSWORD'];
    }
  });
});

describe('readJibriConf: docker-jitsi-meet', () => {
  it('takes the rendered template: internal-muc brewery, muc. stripped, port as a string, a duration string', async () => {
    const conf = await readJibriConf(`${FIXTURES}/docker.conf`, {});
    const env = conf.config.xmpp?.environments?.[0];
    expect(env).toMatchObject({
      name: 'docker-0',
      xmppServerHosts: ['xmpp.meet.jitsi'],
      xmppDomain: 'meet.jitsi',
      baseUrl: 'https://meet.example.org',
      controlLogin: { domain: 'auth.meet.jitsi', username: 'jibri', port: 5222 },
      controlMuc: { domain: 'internal-muc.meet.jitsi', roomName: 'jibribrewery', nickname: 'jibri-a1' },
      callLogin: { domain: 'recorder.meet.jitsi', username: 'recorder' },
      stripFromRoomDomain: 'muc.',
      usageTimeoutSec: 7200,
      trustAllXmppCerts: true,
    });
    expect(conf.config.recordingsDir).toBe('/config/recordings');
    expect(conf.ignoredKeys).toEqual(['jibri.ffmpeg', 'jibri.id']);
  });
});

describe('readJibriConf: docker-jitsi-meet today (jibri.conf including xmpp.conf)', () => {
  it('follows the include and reads the environment from xmpp.conf', async () => {
    const conf = await readJibriConf(`${FIXTURES}/docker/jibri.conf`, { JIBRI_XMPP_PASSWORD: 'from-env' });
    expect(conf.config.xmpp).toEqual({
      singleUseMode: true,
      environments: [
        {
          name: 'meet.jitsi-0',
          xmppServerHosts: ['xmpp.meet.jitsi'],
          xmppDomain: 'meet.jitsi',
          baseUrl: 'https://meet.example.org',
          controlLogin: { domain: 'auth.meet.jitsi', username: 'jibri', password: 'from-env', port: 5222 },
          controlMuc: { domain: 'internal-muc.meet.jitsi', roomName: 'jibribrewery', nickname: 'jibri-b2' },
          callLogin: { domain: 'hidden.meet.jitsi', username: 'recorder', password: 'd40c7e1b9f35' },
          stripFromRoomDomain: 'muc.',
          usageTimeoutSec: 0,
          trustAllXmppCerts: true,
        },
      ],
    });
    expect(conf.config.recordingsDir).toBe('/storage/recordings');
    expect(conf.ignoredKeys).toEqual(['jibri.chrome', 'jibri.ffmpeg', 'jibri.id', 'jibri.stats']);
    expect(conf.warnings).toEqual([]);
  });
  it('reads a file whatever its extension', async () => {
    const file = join(dir, 'jibri-config.txt');
    writeFileSync(file, envConf());
    expect((await readJibriConf(file, {})).config.xmpp?.environments).toHaveLength(1);
  });
});

describe('readJibriConf: files that stop the start', () => {
  it('a syntax error names the file and the position, never the text', async () => {
    const err = await readJibriConf(`${FIXTURES}/broken.conf`, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JibriConfError);
    expect((err as Error).message).toMatch(/broken\.conf: .*line \d+, column \d+/);
    expect((err as Error).message).not.toMatch(/hunter2|secret/);
  });
  it('a missing file', async () => {
    await expect(readJibriConf(join(dir, 'absent.conf'), {})).rejects.toThrow(/absent\.conf: cannot be read \(ENOENT\)/);
  });
  it('an unset required substitution names the variable', async () => {
    const file = confFile(
      envConf('', { login: 'control-login { domain = "auth.meet.example.com", username = "jibri", password = ${JIBRI_PW} }' }),
    );
    await expect(readJibriConf(file, {})).rejects.toThrow(/\$\{JIBRI_PW\}.*is not set.*\$\{\?JIBRI_PW\}/);
  });
  it.each([
    ['include url("http://127.0.0.1:9/x.conf")\n', /only local files can be included/],
    ['include classpath("reference.conf")\n', /only local files can be included/],
    [`include "${join(dir, 'script.js')}"\n`, /only local files can be included/],
    ['a = "x" | eval { expr = "1" }\n', /transforms/],
    ['a = "x" | trim\n', /transforms/],
  ])('refuses what could fetch or run something: %s', async (text, message) => {
    writeFileSync(join(dir, 'script.js'), 'globalThis.scribaIncludedScriptRan = true; module.exports = {};');
    await expect(readJibriConf(confFile(text + envConf()), {})).rejects.toThrow(message);
    expect((globalThis as Record<string, unknown>)['scribaIncludedScriptRan']).toBeUndefined();
  });
  it('includes local files beside it, skips a missing optional one, stops at a missing required one', async () => {
    writeFileSync(join(dir, 'part.conf'), envConf());
    const conf = await readJibriConf(confFile('include "part.conf"\ninclude "absent-part.conf"\n'), {});
    expect(conf.config.xmpp?.environments?.[0]?.name).toBe('env');
    await expect(readJibriConf(confFile('include required("absent-part.conf")\n'), {})).rejects.toThrow(/Unable to include/);
  });

  const SECRET = 'pw-SECRET-value';
  it.each([
    [
      { login: `control-login { domain = "auth.meet.example.com", username = "jibri", password = { v = "${SECRET}" } }` },
      'environments[0].control-login.password: must be a string',
    ],
    [
      { login: `control-login { domain = "auth.meet.example.com", username = "jibri", password = "${SECRET}", port = "xmpp" }` },
      'environments[0].control-login.port: must be a port number',
    ],
    [
      { login: `control-login { domain = "auth.meet.example.com", username = "jibri" }` },
      'environments[0].control-login.password: is missing',
    ],
    [{ muc: '' }, 'environments[0].control-muc: is missing'],
    [
      { muc: 'control-muc { domain = "internal.auth.meet.example.com", nickname = "n1" }' },
      'environments[0].control-muc.room-name: is missing',
    ],
    [{ hosts: 'xmpp-server-hosts = "xmpp.example.com"' }, 'environments[0].xmpp-server-hosts: must be a non-empty list'],
    [{ hosts: 'xmpp-server-hosts = []' }, 'environments[0].xmpp-server-hosts: must be a non-empty list'],
    [
      { hosts: 'xmpp-server-hosts = ["a.example.com:5222", "b.example.com:5223"]' },
      'environments[0].xmpp-server-hosts: hosts name different ports',
    ],
    [{ name: '' }, 'environments[0].name: is missing'],
    [
      { call: `call-login { domain = "recorder.meet.example.com", username = "recorder", password = ["${SECRET}"] }` },
      'environments[0].call-login.password: must be a string',
    ],
  ])('a bad value is named by its key, never quoted (%#)', async (replace, message) => {
    const err = await readJibriConf(confFile(envConf('', replace)), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JibriConfError);
    expect((err as Error).message).toContain(`jibri.api.xmpp.${message}`);
    expect((err as Error).message).not.toContain(SECRET);
  });
  it.each([
    ['usage-timeout = "soon"', 'usage-timeout: must be a duration'],
    ['trust-all-xmpp-certs = "maybe"', 'trust-all-xmpp-certs: must be true or false'],
  ])('%s', async (extra, message) => {
    await expect(readJibriConf(confFile(envConf(extra)), {})).rejects.toThrow(`jibri.api.xmpp.environments[0].${message}`);
  });
  it('environment names must be unique', async () => {
    const one = envConf()
      .replace('jibri.api.xmpp.environments = [ {', '{')
      .replace(/\} \]\n$/, '}');
    await expect(readJibriConf(confFile(`jibri.api.xmpp.environments = [ ${one}, ${one} ]`), {})).rejects.toThrow(
      'environments[1].name: environment names must be unique',
    );
  });
  it.each([
    ['jibri.single-use-mode = "perhaps"', 'jibri.single-use-mode: must be true or false'],
    ['jibri.recording.recordings-directory = ""', 'jibri.recording.recordings-directory: must not be empty'],
    ['jibri.api.xmpp.environments = { a = 1 }', 'jibri.api.xmpp.environments: must be a list'],
    ['jibri = [1, 2]', 'jibri: must be an object'],
  ])('%s', async (text, message) => {
    await expect(readJibriConf(confFile(text), {})).rejects.toThrow(message);
  });
});

describe('jibriConfFromObject', () => {
  const base = {
    name: 'env',
    'xmpp-server-hosts': ['xmpp.example.com'],
    'xmpp-domain': 'meet.example.com',
    'control-login': { domain: 'auth.meet.example.com', username: 'jibri', password: 'p' },
    'control-muc': { domain: 'internal.auth.meet.example.com', 'room-name': 'JibriBrewery', nickname: 'n' },
  };
  const one = (env: Record<string, unknown>) =>
    jibriConfFromObject({ jibri: { api: { xmpp: { environments: [{ ...base, ...env }] } } } }, 'jibri.conf');

  it('fills what Jibri leaves optional and says when the recorder would be a guest', () => {
    const conf = one({});
    expect(conf.config.xmpp?.environments?.[0]).toMatchObject({
      baseUrl: '',
      callLogin: null,
      stripFromRoomDomain: 'conference.',
      usageTimeoutSec: 0,
      trustAllXmppCerts: false,
      controlLogin: { port: 5222 },
    });
    expect(conf.warnings).toEqual([expect.stringContaining('environments[0]: no call-login')]);
    expect(
      one({ 'call-login': { domain: 'recorder.meet.example.com', username: '', password: '' } }).config.xmpp?.environments?.[0]?.callLogin,
    ).toBeNull();
  });
  it('takes host:port entries when they agree (the port moves to control-login)', () => {
    const env = one({ 'xmpp-server-hosts': ['a.example.com:5223', 'b.example.com:5223', '[::1]:5223'] }).config.xmpp?.environments?.[0];
    expect(env?.xmppServerHosts).toEqual(['a.example.com', 'b.example.com', '::1']);
    expect(env?.controlLogin.port).toBe(5223);
    expect(() => one({ 'xmpp-server-hosts': ['a.example.com:5223'], 'control-login': { ...base['control-login'], port: 5222 } })).toThrow(
      /different ports/,
    );
  });
  it('takes unquoted numbers as text (Typesafe config does) and yes/no booleans', () => {
    const env = one({ 'control-login': { ...base['control-login'], password: 123456 }, 'trust-all-xmpp-certs': 'yes' }).config.xmpp
      ?.environments?.[0];
    expect(env?.controlLogin.password).toBe('123456');
    expect(env?.trustAllXmppCerts).toBe(true);
    expect(() => one({ 'control-login': { ...base['control-login'], password: 1.5e300 } })).toThrow(
      /password: must be a string \(write it in quotes\)/,
    );
  });
  it('warns when usage-timeout is a bare non-zero number (minutes here, milliseconds to Typesafe config)', () => {
    const conf = one({ 'usage-timeout': 90 });
    expect(conf.config.xmpp?.environments?.[0]?.usageTimeoutSec).toBe(5400);
    expect(conf.warnings).toContainEqual(expect.stringMatching(/usage-timeout: a number without unit is read as minutes \(90\)/));
    expect(one({ 'usage-timeout': 0 }).warnings.filter((w) => w.includes('usage-timeout'))).toEqual([]);
  });
  it('an empty file or one without environments contributes nothing but a warning', () => {
    expect(jibriConfFromObject(undefined, 'f')).toEqual({
      file: 'f',
      config: {},
      ignoredKeys: [],
      warnings: [expect.stringContaining('no Jibri brewery')],
    });
    expect(jibriConfFromObject({ jibri: { 'single-use-mode': true } }, 'f').config).toEqual({ xmpp: { singleUseMode: true } });
  });
});

describe('usageTimeoutSeconds', () => {
  it.each([
    [0, 0, true],
    ['0', 0, true],
    [60, 3600, true],
    ['60', 3600, true],
    ['5 minutes', 300, false],
    ['5minutes', 300, false],
    ['1 hour', 3600, false],
    ['1h', 3600, false],
    ['90 seconds', 90, false],
    ['90s', 90, false],
    ['1.5 hours', 5400, false],
    ['500 ms', 1, false],
    ['2 days', 172800, false],
    ['2 Minutes', 120, false],
  ] as const)('%o → %d s', (value, seconds, bareNumber) => {
    expect(usageTimeoutSeconds(value)).toEqual({ seconds, bareNumber });
  });
  it.each([['soon'], ['-1'], [-5], ['5 fortnights'], [true], [null], [[5]]])('%o → null', (value) => {
    expect(usageTimeoutSeconds(value)).toBeNull();
  });
});

describe('unknownKeyPaths', () => {
  it('collapses unknown objects and reaches into every environment', () => {
    const parsed = {
      other: { a: 1 },
      jibri: {
        id: 'x',
        api: {
          xmpp: {
            environments: [
              { name: 'a', 'sip-control-muc': { domain: 'd' } },
              { 'control-login': { 'randomize-username': true }, 'security-mode': 'disabled' },
            ],
          },
        },
      },
    };
    expect(unknownKeyPaths(parsed)).toEqual([
      'other',
      'jibri.id',
      'jibri.api.xmpp.environments[0].sip-control-muc',
      'jibri.api.xmpp.environments[1].control-login.randomize-username',
      'jibri.api.xmpp.environments[1].security-mode',
    ]);
  });
});

describe('reportJibriConf', () => {
  it('logs the environments, the ignored paths and each warning, no secret', async () => {
    const lines: Array<[string, object, string]> = [];
    const log = { info: (o: object, m: string) => lines.push(['info', o, m]), warn: (o: object, m: string) => lines.push(['warn', o, m]) };
    reportJibriConf(
      await readJibriConf(confFile(`${envConf('usage-timeout = 30', { call: '' })}jibri.ffmpeg.resolution = "1280x720"\n`), {}),
      log,
    );
    expect(lines.map(([level, , msg]) => `${level} ${msg}`)).toEqual([
      'info read Jibri configuration',
      'info jibri.conf keys Scriba does not use are ignored',
      expect.stringMatching(/^warn .*no call-login/),
      expect.stringMatching(/^warn .*usage-timeout/),
    ]);
    expect(lines[0]?.[1]).toMatchObject({ environments: ['env'] });
    expect(lines[1]?.[1]).toMatchObject({ ignoredKeys: ['jibri.ffmpeg'] });
    expect(JSON.stringify(lines)).not.toMatch(/pw-secret/);
  });
});
