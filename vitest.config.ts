import { defineConfig } from 'vitest/config';

// Two groups, one after the other:
// - unit: pure logic, fakes, in-memory queues; no browser, no capture, nothing timed: files run in parallel.
// - integration (and security): real Chromium, ffmpeg, Xvfb, PulseAudio, Redis, nginx, s3rver, Prosody; on a
//   2-core machine they must not run concurrently with each other, or capture frame rates and A/V timing
//   suffer, so their files run one at a time, after the unit group has finished.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
