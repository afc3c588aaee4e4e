import { describe, expect, it } from 'vitest';
import { buildXvfbArgs } from '../../../src/capture/xvfb.ts';

describe('buildXvfbArgs', () => {
  it('a private display of the capture size: no TCP, no socket file, no cursor, no GLX (no Mesa/LLVM loaded)', () => {
    expect(buildXvfbArgs(1280, 720, 3)).toEqual([
      '-displayfd',
      '3',
      '-screen',
      '0',
      '1280x720x24',
      '-nolisten',
      'tcp',
      '-nolisten',
      'unix',
      '-nocursor',
      '-extension',
      'GLX',
      '-noreset',
    ]);
  });
});
