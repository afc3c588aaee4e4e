import { describe, expect, it } from 'vitest';
import { HoconError, parseHocon, safeHoconMessage } from '../../../src/config/hocon-text.ts';

describe('parseHocon', () => {
  it('reads the HOCON a jibri.conf uses', async () => {
    const text = [
      '# comment',
      'a { b = 1, c = "two" }  // trailing comment',
      'a.d = [ x, "y", 3 ]',
      'e = 1 hour',
      'f = ${a.c}',
      'g = ${?SCRIBA_TEST_VAR}',
      'h = ${?NOT_SET_ANYWHERE}',
      'i = 00123',
      'j = """multi',
      'line"""',
      'k : true',
      'l = host.example.com',
    ].join('\n');
    expect(await parseHocon(text, { SCRIBA_TEST_VAR: 'from-env' })).toEqual({
      a: { b: 1, c: 'two', d: ['x', 'y', 3] },
      e: '1 hour',
      f: 'two',
      g: 'from-env',
      i: '00123',
      j: 'multi\nline',
      k: true,
      l: 'host.example.com',
    });
  });

  it('a later value overrides an earlier one, an unset optional substitution keeps it', async () => {
    expect(await parseHocon('p = "file"\np = ${?PW}', { PW: 'env' })).toEqual({ p: 'env' });
    expect(await parseHocon('p = "file"\np = ${?PW}', {})).toEqual({ p: 'file' });
  });

  it('never reads process.env itself', async () => {
    process.env['SCRIBA_HOCON_PROBE'] = 'leak';
    try {
      expect(await parseHocon('a = ${?SCRIBA_HOCON_PROBE}', {})).toEqual({});
    } finally {
      delete process.env['SCRIBA_HOCON_PROBE'];
    }
  });

  it('fails with a HoconError that keeps the position and drops the text', async () => {
    const err = await parseHocon('a {\n  password = "x" secret = "hunter2"\n', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoconError);
    expect((err as Error).message).toMatch(/line 2, column \d+/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('safeHoconMessage', () => {
  it.each([
    ['Unexpected token. (Source: ValueNode.2@96748, Token: { value: "=", line: 3, col: 51 })', 'Unexpected token at line 3, column 51'],
    [
      "Unexpected character '@' in an unquoted string 'hunter2@...'. (line: 1, col: 5)",
      'Unexpected character … in an unquoted string … at line 1, column 5',
    ],
    [
      'The object is not closed. (Source: ObjectNode.2@03ef2, Token: { value: "a", line: 1, col: 9 })',
      'The object is not closed at line 1, column 9',
    ],
    [
      'Unable to resolve \'JIBRI_PW\'. Token: { value: "${", line: 4, col: 12 }',
      'the substitution ${JIBRI_PW} at line 4, column 12 is not set (use ${?JIBRI_PW} to make it optional)',
    ],
    ['Unable to resolve \'a b\'. Token: { value: "${", line: 4, col: 12 }', 'Unable to resolve … at line 4, column 12'],
    ['', 'not valid HOCON'],
  ])('%s', (message, expected) => {
    expect(safeHoconMessage(message)).toBe(expected);
  });
});
