/** The image cannot be built here (no Docker engine): keep it in step with scripts/setup.sh by construction. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../../src/config/config.ts';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const setup = readFileSync('scripts/setup.sh', 'utf8');
const packages = readFileSync('scripts/packages.txt', 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);

describe('Dockerfile', () => {
  it('installs exactly the package list setup.sh installs', () => {
    expect(packages).toContain('chromium');
    expect(packages).toContain('ffmpeg');
    expect(packages).toContain('xvfb');
    expect(packages).toContain('pulseaudio');
    expect(dockerfile).toMatch(/COPY scripts\/packages\.txt \/tmp\/packages\.txt/);
    expect(dockerfile).toMatch(/\/tmp\/packages\.txt \| xargs apt-get install -y --no-install-recommends/);
    expect(setup).toMatch(/scripts\/packages\.txt/);
    // No package is installed anywhere else by name.
    expect(dockerfile).not.toMatch(/apt-get install[^\n]*\b(chromium|ffmpeg|xvfb)\b/);
  });
  it('uses Node 24 on bookworm-slim, npm ci from the lock file, and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:24-bookworm-slim$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 10001$/m);
    const instructions = dockerfile
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    expect(instructions).not.toMatch(/--privileged|cap-add|\/dev\/snd/);
  });
  it('copies every runtime folder the CLI imports', () => {
    for (const dir of ['bin', 'config', 'scripts', 'src', 'workers']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });
  it('points every relative default path at a directory the unprivileged user owns', () => {
    const defaults = JSON.parse(readFileSync('config/default.json', 'utf8')) as Record<string, unknown>;
    const relative: string[][] = [];
    const walk = (node: Record<string, unknown>, path: string[]) => {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'string' && v.startsWith('./')) relative.push([...path, k]);
        else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, [...path, k]);
      }
    };
    walk(defaults, []);
    expect(relative.length).toBeGreaterThan(0);
    for (const path of relative) {
      const env = Object.entries(ENV_KEYS).find(([, spec]) => spec.path.join('.') === path.join('.'))?.[0];
      expect(env, path.join('.')).toBeDefined();
      expect(dockerfile, `${path.join('.')} (${env})`).toMatch(new RegExp(`${env}=/(data|recordings)`));
    }
    expect(dockerfile).toMatch(/chown scriba:scriba \/recordings \/data/);
  });
  it('fills the compile cache at build time, after the sources are in, for the runtime user to keep', () => {
    const at = (re: RegExp) => dockerfile.search(re);
    expect(at(/^ENV NODE_COMPILE_CACHE=\/app\/\.compile-cache$/m)).toBeGreaterThan(at(/^COPY workers \.\/workers$/m));
    expect(at(/^RUN node scripts\/warm-compile-cache\.ts$/m)).toBeGreaterThan(at(/^ENV NODE_COMPILE_CACHE=/m));
    expect(at(/chown -R scriba:scriba \/app\/\.compile-cache/)).toBeGreaterThan(at(/warm-compile-cache/));
    expect(at(/^USER 10001$/m)).toBeGreaterThan(at(/chown -R scriba:scriba \/app\/\.compile-cache/));
  });
});
