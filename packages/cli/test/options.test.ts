import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { parseResponderArguments } from '../src/commands/responder.js';
import { parseSenderArguments, senderOptionsFor } from '../src/commands/sender.js';
import { chooseFamily, parseCidrOption, parseTosOptions } from '../src/options/network.js';
import { parseDecimalOption, parseIntegerOption, parsePercentilesOption } from '../src/options/numbers.js';

/** The one issue of the ConfigError `run` throws. */
function issueOf(run: () => unknown): { path: string; expected: string; received?: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issue = (error as ConfigError).issues[0];
    if (issue === undefined) throw new Error('ConfigError without issues');
    return issue;
  }
  throw new Error('no error thrown');
}

describe('numeric options', () => {
  it('parse integers within the range, decimal or hex when allowed', () => {
    expect(parseIntegerOption('42', { path: '--count', min: 1, max: 100 })).toBe(42);
    expect(parseIntegerOption('0x2e', { path: '--tos', min: 0, max: 255 }, { hex: true })).toBe(46);
  });

  it.each(['0', '101', '1.5', '-1', '1e2', '', 'ten', '0x10'])('refuse %j for an integer from 1 to 100', (text) => {
    expect(issueOf(() => parseIntegerOption(text, { path: '--count', min: 1, max: 100, unit: 'packets' }))).toEqual({
      path: '--count',
      expected: 'an integer from 1 to 100 packets',
      received: JSON.stringify(text),
    });
  });

  it('parse decimals with fractions', () => {
    expect(parseDecimalOption('0.5', { path: '--interval', min: 0.001, max: 10 })).toBe(0.5);
    expect(parseDecimalOption('.25', { path: '--interval', min: 0.001, max: 10 })).toBe(0.25);
    expect(issueOf(() => parseDecimalOption('0', { path: '--interval', min: 0.001, max: 10, unit: 'ms' })).expected).toBe(
      'a number from 0.001 to 10 ms (fractions allowed)',
    );
    expect(issueOf(() => parseDecimalOption('NaN', { path: '--interval', min: 0, max: 10 })).path).toBe('--interval');
    expect(issueOf(() => parseDecimalOption('Infinity', { path: '--interval', min: 0, max: 10 })).path).toBe('--interval');
  });

  it('parse percentile lists sorted without repeats', () => {
    expect(parsePercentilesOption('99,50, 99.9,50')).toEqual([50, 99, 99.9]);
    for (const bad of ['0', '100', '50,', 'p99', '']) {
      expect(issueOf(() => parsePercentilesOption(bad)).path).toBe('--percentiles');
    }
  });
});

describe('network options', () => {
  it('turn --dscp names and numbers into the TOS octet (ECN 0)', () => {
    expect(parseTosOptions(undefined, 'ef')).toBe(46 << 2);
    expect(parseTosOptions(undefined, 'AF41')).toBe(34 << 2);
    expect(parseTosOptions(undefined, 'cs1')).toBe(8 << 2);
    expect(parseTosOptions(undefined, '10')).toBe(40);
    expect(parseTosOptions('0x88', undefined)).toBe(0x88);
    expect(parseTosOptions(undefined, undefined)).toBeUndefined();
  });

  it('refuse bad TOS and DSCP values, and both at once', () => {
    expect(issueOf(() => parseTosOptions(undefined, 'af44')).path).toBe('--dscp');
    expect(issueOf(() => parseTosOptions(undefined, '64')).expected).toMatch(/0 to 63/);
    expect(issueOf(() => parseTosOptions('256', undefined))).toMatchObject({ path: '--tos', expected: 'an integer from 0 to 255 (decimal or 0x hex)' });
    expect(issueOf(() => parseTosOptions('0', 'ef')).expected).toMatch(/either --tos or --dscp/);
  });

  it('check CIDRs per family', () => {
    expect(parseCidrOption('192.0.2.0/24')).toBe('192.0.2.0/24');
    expect(parseCidrOption('2001:db8::/32')).toBe('2001:db8::/32');
    expect(parseCidrOption('::1')).toBe('::1');
    for (const bad of ['192.0.2.0/33', '2001:db8::/129', '192.0.2.0/', 'example.net/8', '10/8']) {
      expect(issueOf(() => parseCidrOption(bad)).path).toBe('--allow');
    }
  });

  it('choose the family from flags and literals, refusing contradictions', () => {
    expect(chooseFamily({}, [])).toBe(4);
    expect(chooseFamily({ ipv6: true }, [])).toBe(6);
    expect(chooseFamily({}, [['remote', { address: '::1', isHostName: false, port: 1, family: 6 }]])).toBe(6);
    expect(issueOf(() => chooseFamily({ ipv4: true, ipv6: true }, [])).path).toBe('-6');
    expect(issueOf(() => chooseFamily({ ipv4: true }, [['remote', { address: '::1', isHostName: false, port: 1, family: 6 }]]))).toMatchObject({
      path: 'remote',
      expected: 'an IPv4 address, as -4 asks',
    });
    const mixed = issueOf(() =>
      chooseFamily({}, [
        ['remote', { address: '::1', isHostName: false, port: 1, family: 6 }],
        ['local', { address: '127.0.0.1', isHostName: false, port: 0, family: 4 }],
      ]),
    );
    expect(mixed).toMatchObject({ path: 'local', expected: 'an IPv6 address, as remote asks' });
  });
});

describe('twamp sender arguments', () => {
  it('apply twampy-like defaults (port 862, 100 packets every 100 ms)', () => {
    const plan = parseSenderArguments(undefined, undefined, {});
    expect(plan).toMatchObject({ family: 4, protocol: 'twamp-light', count: 100, intervalMs: 100, lossTimeoutMs: 2000, json: false });
    expect(plan.remote).toMatchObject({ address: undefined, port: 862 });
    expect(plan.local).toMatchObject({ address: undefined, port: 0 });
  });

  it('build the engine options from a plan', () => {
    const plan = parseSenderArguments('[::1]:5000', undefined, {
      stamp: true,
      ssid: '7',
      count: '5',
      interval: '0.5',
      padding: '100',
      dscp: 'ef',
      ttl: '64',
      doNotFragment: true,
      lossTimeout: '250',
      percentiles: '99',
      statelessReflector: true,
    });
    const signal = new AbortController().signal;
    expect(senderOptionsFor(plan, '::1', undefined, signal)).toEqual({
      target: { address: '::1', port: 5000 },
      local: { port: 0 },
      family: 6,
      protocol: 'stamp',
      ssid: 7,
      schedule: { kind: 'periodic', intervalMs: 0.5 },
      count: 5,
      padding: 100,
      tos: 184,
      ttl: 64,
      dontFragment: true,
      lossTimeoutMs: 250,
      percentiles: [99],
      reflectorStateful: false,
      signal,
    });
  });

  const BAD: readonly (readonly [string, Parameters<typeof parseSenderArguments>, string, RegExp])[] = [
    ['count 0', [undefined, undefined, { count: '0' }], '--count', /an integer from 1 to 4294967295 packets/],
    ['interval 0', [undefined, undefined, { interval: '0' }], '--interval', /from 0.001 to 3600000 ms/],
    ['loss timeout', [undefined, undefined, { lossTimeout: 'soon' }], '--loss-timeout', /from 1 to 3600000 ms/],
    ['padding', [undefined, undefined, { padding: '9001' }], '--padding', /0 to 9000 octets/],
    ['STAMP padding below a TLV', [undefined, undefined, { stamp: true, padding: '3' }], '--padding', /4 to 9000/],
    ['ttl', [undefined, undefined, { ttl: '0' }], '--ttl', /from 1 to 255/],
    ['ssid without stamp', [undefined, undefined, { ssid: '1' }], '--ssid', /with --stamp/],
    ['ssid 0', [undefined, undefined, { stamp: true, ssid: '0' }], '--ssid', /from 1 to 65535/],
    ['remote', ['nope:nope', undefined, {}], 'remote', /port from 1 to 65535/],
    ['local', [undefined, '1.2.3.4.5', {}], 'local', /IPv4 or IPv6/],
    ['family', ['::1', undefined, { ipv4: true }], 'remote', /IPv4 address, as -4 asks/],
  ];

  it.each(BAD)('name the bad argument: %s', (_name, args, path, expected) => {
    const issue = issueOf(() => parseSenderArguments(...args));
    expect(issue.path).toBe(path);
    expect(issue.expected).toMatch(expected);
  });
});

describe('twamp responder arguments', () => {
  it('listen on port 862 of every address by default', () => {
    expect(parseResponderArguments(undefined, {})).toMatchObject({
      family: 4,
      protocol: 'twamp-light',
      stateful: true,
      allowedSources: undefined,
      maxSessions: 10_000,
      idleTimeoutMs: 900_000,
      local: { address: undefined, port: 862 },
    });
  });

  it('take every option', () => {
    expect(
      parseResponderArguments('[::1]:0', { stamp: true, stateless: true, allow: ['::1/128', '2001:db8::/32'], maxSessions: '5', idleTimeout: '30' }),
    ).toMatchObject({ family: 6, protocol: 'stamp', stateful: false, allowedSources: ['::1/128', '2001:db8::/32'], maxSessions: 5, idleTimeoutMs: 30_000 });
  });

  it('name the bad argument', () => {
    expect(issueOf(() => parseResponderArguments(undefined, { maxSessions: '0' }))).toMatchObject({ path: '--max-sessions', expected: 'an integer from 1 to 1000000 sessions' });
    expect(issueOf(() => parseResponderArguments(undefined, { idleTimeout: '0.5' }))).toMatchObject({ path: '--idle-timeout', expected: 'an integer from 1 to 86400 seconds' });
    expect(issueOf(() => parseResponderArguments(undefined, { allow: ['10.0.0.0/8', 'any'] })).path).toBe('--allow');
    expect(issueOf(() => parseResponderArguments('host:99999', {})).path).toBe('local');
  });
});
