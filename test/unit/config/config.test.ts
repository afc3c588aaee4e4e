import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_KEYS, loadConfig } from '../../../src/config/config.ts';

function leafKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('loadConfig', () => {
  it('loads the defaults into a fully required object', () => {
    const c = loadConfig({ env: {} });
    expect(c.capture.resolution).toBe('720p');
    expect(c.checks).toMatchObject({
      intervalSec: 15,
      emptyCallTimeoutSec: 30,
      noMediaTimeoutSec: 180,
      allMutedTimeoutSec: 600,
      iceTimeoutSec: 30,
    });
    expect(c.workDir).toMatch(/scriba$/);
  });
  it('applies environment variables, then overrides', () => {
    const c = loadConfig({
      env: { SCRIBA_CAPTURE_RESOLUTION: '1080p', SCRIBA_EMPTY_CALL_TIMEOUT_SEC: '5', SCRIBA_ALLOW_HTTP_MEETINGS: 'true' },
      overrides: { checks: { emptyCallTimeoutSec: 7 } },
    });
    expect(c.capture.resolution).toBe('1080p');
    expect(c.meeting.allowHttp).toBe(true);
    expect(c.checks.emptyCallTimeoutSec).toBe(7);
  });
  it.each([
    [{ SCRIBA_CAPTURE_RESOLUTION: '4k' }, /capture\.resolution/],
    [{ SCRIBA_EMPTY_CALL_TIMEOUT_SEC: 'soon' }, /SCRIBA_EMPTY_CALL_TIMEOUT_SEC must be a number/],
    [{ SCRIBA_ALLOW_HTTP_MEETINGS: 'maybe' }, /true or false/],
    [{ SCRIBA_MAX_DURATION_SEC: '-1' }, /checks\.maxDurationSec/],
  ])('rejects bad values with a message naming the key (%o)', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  it('documents every key of config/default.json', () => {
    const defaults = JSON.parse(readFileSync('config/default.json', 'utf8')) as Record<string, unknown>;
    for (const key of leafKeys(defaults)) expect(doc, key).toContain(`\`${key}\``);
  });
  it('documents every environment variable', () => {
    for (const name of Object.keys(ENV_KEYS)) expect(doc, name).toContain(`\`${name}\``);
  });
});
