import { describe, expect, it } from 'vitest';
import { meetsNodeRequirement } from '../../../bin/node-requirement.js';

describe('the Node that runs the TypeScript sources', () => {
  it.each([
    ['18.19.1', false],
    ['v20.20.2', false],
    ['22.17.1', false],
    ['22.18.0', true],
    ['v22.21.1', true],
    ['23.5.0', false],
    ['23.6.0', true],
    ['24.0.0', true],
    ['v26.1.0', true],
    ['garbage', false],
  ])('%s → %s', (version, ok) => {
    expect(meetsNodeRequirement(version)).toBe(ok);
  });
});
