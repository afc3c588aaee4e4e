import { describe, expect, it } from 'vitest';
import { findSetpriv, planChildSpawn, planSpawn } from '../../../src/process/spawn-plan.ts';

describe('planSpawn', () => {
  it('is the bare command without setpriv', () => {
    expect(planSpawn('Xvfb', ['-displayfd', '3'], null)).toEqual({ program: 'Xvfb', args: ['-displayfd', '3'] });
  });

  it('only prefixes the command with setpriv --pdeathsig <SIG> --', () => {
    expect(planSpawn('ffmpeg', ['-i', 'a'], '/usr/bin/setpriv')).toEqual({
      program: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'SIGKILL', '--', 'ffmpeg', '-i', 'a'],
    });
    expect(planSpawn('cat', [], '/bin/setpriv', 'SIGTERM').args).toEqual(['--pdeathsig', 'SIGTERM', '--', 'cat']);
  });

  it('does not share the caller’s array', () => {
    const args = ['x'];
    const plan = planSpawn('p', args, null);
    args.push('y');
    expect(plan.args).toEqual(['x']);
  });
});

describe('findSetpriv / planChildSpawn', () => {
  it('finds an absolute setpriv or none, once, and plans with it', () => {
    const setpriv = findSetpriv();
    expect(setpriv === null || setpriv.startsWith('/')).toBe(true);
    expect(findSetpriv()).toBe(setpriv);
    expect(planChildSpawn('sleep', ['1'])).toEqual(planSpawn('sleep', ['1'], setpriv));
    expect(planChildSpawn('sleep', ['1'], false)).toEqual({ program: 'sleep', args: ['1'] });
  });
});
