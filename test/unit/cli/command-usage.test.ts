import { describe, expect, it } from 'vitest';
import { asksForHelp, commandUsage } from '../../../src/cli/command-usage.ts';

const USAGE = `Usage:
  scriba record --url <meeting URL> [--out DIR]
                [--no-file]
  scriba serve                         API + worker
  scriba demo [--seconds S]            record the demo

Configuration: see docs.`;

describe('scriba <command> --help', () => {
  it('picks a command with its continuation lines, and the notes', () => {
    expect(commandUsage(USAGE, 'record')).toBe(
      'Usage:\n  scriba record --url <meeting URL> [--out DIR]\n                [--no-file]\n\nConfiguration: see docs.',
    );
    expect(commandUsage(USAGE, 'serve')).toBe('Usage:\n  scriba serve                         API + worker\n\nConfiguration: see docs.');
  });
  it('does not mistake a prefix for the command', () => {
    expect(commandUsage(USAGE, 'dem')).toBeUndefined();
    expect(commandUsage(USAGE, 'demo')).toContain('scriba demo [--seconds S]');
    expect(commandUsage(USAGE, 'nonsense')).toBeUndefined();
  });
  it('sees --help and -h, but not after --', () => {
    expect(asksForHelp(['--url', 'x', '--help'])).toBe(true);
    expect(asksForHelp(['-h'])).toBe(true);
    expect(asksForHelp(['--url', 'x'])).toBe(false);
    expect(asksForHelp(['--', '--help'])).toBe(false);
  });
});
