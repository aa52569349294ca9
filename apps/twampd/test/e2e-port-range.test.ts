// twampd and `twamp server` hand out reflector ports from the same default range (perfSONAR's), so one
// firewall rule serves both: what `twamp server --help` says is twampd's parsed default.
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_REFLECTOR_PORTS, parseConfig } from '@twamp/daemon';
import { killAll, twamp } from './support.js';

afterAll(() => {
  killAll();
});

describe('the default reflector port range', () => {
  it('is the same for twampd (an empty config) and twamp server (its --help)', async () => {
    const twampd = parseConfig('').listeners.control?.reflectorPorts;
    expect(twampd).toEqual(DEFAULT_REFLECTOR_PORTS);
    const range = `${DEFAULT_REFLECTOR_PORTS.first}-${DEFAULT_REFLECTOR_PORTS.last}`;
    const { code, stdout } = await twamp(['server', '--help']);
    expect(code).toBe(0);
    // Before: twampd 10000-20000, twamp server 8760-9960.
    expect(stdout.replaceAll(/\s+/g, ' ')).toContain(`(default ${range}`);
    expect(range).toBe('8760-9960');
  });
});
