// What the UDP implementation in use is called in summaries and --version: each has its own name.
import { MEMORY_CAPABILITIES } from '@twamp/udp';
import { describe, expect, it } from 'vitest';
import { implementationDescription } from '../src/output/names.js';

describe('implementationDescription', () => {
  it('names the in-memory test network as such, not as the dgram fallback', () => {
    expect(implementationDescription(MEMORY_CAPABILITIES)).toBe('in-memory network (tests)');
  });

  it('lists what a socket lacks after its name', () => {
    expect(implementationDescription({ ...MEMORY_CAPABILITIES, implementation: 'dgram', kernelTimestamps: false })).toMatch(/^node:dgram fallback \(missing: .*kernel/);
    expect(implementationDescription({ ...MEMORY_CAPABILITIES, implementation: 'native' })).toBe('native socket');
  });
});
