import { defineConfig } from 'vitest/config';

// Integration tests start real Chromium, ffmpeg, Xvfb and PulseAudio; on a 2-core machine they must not
// run concurrently with each other or capture frame rates suffer, so files run one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
