import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import { toArgv } from '../../../src/ffmpeg/command-spec.ts';

describe('toArgv', () => {
  it("globals, then each input's options before its -i, then each output's options before its target", () => {
    expect(
      toArgv({
        globalOptions: ['-hide_banner', '-y'],
        inputs: [
          { options: ['-f', 'lavfi'], source: 'testsrc2' },
          { options: [], source: 'in b.wav' },
        ],
        outputs: [
          { options: ['-c', 'copy'], target: 'out 1.mp4' },
          { options: ['-f', 'null'], target: '-' },
        ],
      }),
    ).toEqual(['-hide_banner', '-y', '-f', 'lavfi', '-i', 'testsrc2', '-i', 'in b.wav', '-c', 'copy', 'out 1.mp4', '-f', 'null', '-']);
  });

  it('keeps arguments with spaces whole and does not mutate the spec', () => {
    const spec = { globalOptions: [], inputs: [], outputs: [{ options: ['-metadata', 'title=a b'], target: 'x.mp4' }] };
    const argv = toArgv(spec);
    argv.push('extra');
    expect(toArgv(spec)).toEqual(['-metadata', 'title=a b', 'x.mp4']);
  });

  it('rejects a command without outputs, empty operands, and operands ffmpeg would read as options', () => {
    expect(() => toArgv({ globalOptions: [], inputs: [], outputs: [] })).toThrow(ScribaError);
    expect(() => toArgv({ globalOptions: [], inputs: [{ options: [], source: '' }], outputs: [{ options: [], target: 'x' }] })).toThrow(
      /empty/,
    );
    expect(() => toArgv({ globalOptions: [], inputs: [], outputs: [{ options: [], target: '-rf.mp4' }] })).toThrow(/file:/);
    expect(toArgv({ globalOptions: [], inputs: [], outputs: [{ options: [], target: 'file:-rf.mp4' }] })).toEqual(['file:-rf.mp4']);
  });
});
