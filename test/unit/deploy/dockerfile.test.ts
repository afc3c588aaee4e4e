/** The image cannot be built here (no Docker engine): keep it in step with scripts/setup.sh by construction. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
    const instructions = dockerfile.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(instructions).not.toMatch(/--privileged|cap-add|\/dev\/snd/);
  });
  it('copies every runtime folder the CLI imports', () => {
    for (const dir of ['bin', 'config', 'scripts', 'src', 'workers']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });
});
