// Invalid configs: each class of mistake gives its message (path, expected words, what was given,
// line:column), every mistake is reported at once, and no input makes parseConfig throw anything but
// a ConfigError.
import { ConfigError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConfigFileIssue, formatConfigError, loadConfig, parseConfig } from '../src/index.js';

function mistakes(text: string, file = 'twampd.yaml'): readonly ConfigFileIssue[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

function only(text: string): ConfigFileIssue {
  const issues = mistakes(text);
  expect(issues, formatConfigError(new ConfigError(issues))).toHaveLength(1);
  const [issue] = issues;
  if (issue === undefined) throw new Error('no issue');
  return issue;
}

describe('unknown keys', () => {
  it('suggests the key that was meant, pointing at the key', () => {
    expect(only('listeners: {}\nlmits:\n  sessionsTotal: 5\n')).toEqual({
      path: 'lmits',
      expected: 'a known key (did you mean limits?)',
      received: 'an unknown key',
      file: 'twampd.yaml',
      line: 2,
      column: 1,
    });
    expect(only('security:\n  keyfile: /k\n')).toMatchObject({ path: 'security.keyfile', expected: 'a known key (did you mean keyFile?)', line: 2, column: 3 });
    expect(only('agent:\n  defaults:\n    intervall: 1s\n')).toMatchObject({ path: 'agent.defaults.intervall', expected: 'a known key (did you mean interval?)' });
  });

  it('lists the known keys when nothing is close', () => {
    expect(only('metrics: {zzzzzz: 1}').expected).toBe('one of the known keys here: enabled, address, port, agentHistograms');
    expect(only('bogus: 1').expected).toBe('one of the sections listeners, security, access, limits, agent, logging, metrics, shutdownGrace');
  });

  it('does not take name or address as defaults for every target', () => {
    expect(only('agent: {defaults: {address: 192.0.2.1}}')).toMatchObject({ path: 'agent.defaults.address', received: 'an unknown key' });
  });

  it('keeps odd keys as keys (no prototype games)', () => {
    expect(only('__proto__: {a: 1}')).toMatchObject({ path: '__proto__', received: 'an unknown key' });
    expect(only('limits: {constructor: 1}')).toMatchObject({ path: 'limits.constructor' });
  });
});

describe('wrong types and out of range', () => {
  it('says what is expected in words, and what was given', () => {
    expect(only('limits:\n  sessionsTotal: "many"\n')).toEqual({
      path: 'limits.sessionsTotal',
      expected: 'an integer from 1 to 1000000',
      received: '"many"',
      file: 'twampd.yaml',
      line: 2,
      column: 18,
    });
    expect(only('metrics: {enabled: yes}')).toMatchObject({ path: 'metrics.enabled', expected: 'true or false', received: '"yes"' });
    expect(only('limits: [1, 2]')).toMatchObject({ path: 'limits', expected: 'a map', received: 'a list of 2' });
    expect(only('logging: {level: loud}')).toMatchObject({ path: 'logging.level', expected: 'fatal, error, warn, info, debug, trace or silent' });
  });

  it('reports ports out of range, with 0 only where it means any port', () => {
    expect(only('agent:\n  targets:\n    - {name: a, protocol: stamp, address: 192.0.2.1, port: 70000}\n')).toMatchObject({
      path: 'agent.targets[0].port',
      expected: 'a port number from 1 to 65535',
      received: '70000',
      line: 3,
    });
    expect(only('agent: {targets: [{name: a, protocol: stamp, address: 192.0.2.1, port: 0}]}').path).toBe('agent.targets[0].port');
    expect(only('listeners: {control: {port: -1}}')).toMatchObject({ path: 'listeners.control.port', expected: 'a port number from 1 to 65535, or 0 for any free port' });
    expect(only('listeners: {control: {reflectorPorts: 20000-10000}}').path).toBe('listeners.control.reflectorPorts');
  });

  it('rejects a PBKDF2 count that is not a power of two of at least 1024', () => {
    for (const count of ['1000', '3000', '512', '"2048"']) {
      expect(only(`security: {pbkdf2Count: ${count}}`)).toMatchObject({ path: 'security.pbkdf2Count', expected: 'a power of 2 of at least 1024' });
    }
  });

  it('rejects target addresses that are neither an IP address nor a host name', () => {
    for (const address of ['10.0.1', '"999.1.1.1"', '"-bad.example"', '"a b"', '"2001:db8::g"']) {
      expect(only(`agent: {targets: [{name: a, protocol: stamp, address: ${address}}]}`)).toMatchObject({ path: 'agent.targets[0].address', expected: 'an IP address or a host name' });
    }
    expect(parseConfig('agent: {targets: [{name: a, protocol: stamp, address: peer-1.example.net}]}').agent.targets[0]?.address).toBe('peer-1.example.net');
  });

  it('rejects bad DSCP values with wire\'s words', () => {
    expect(only('agent: {defaults: {dscp: AF99}}')).toMatchObject({ path: 'agent.defaults.dscp', received: '"AF99"' });
    expect(only('agent: {defaults: {dscp: 64}}').expected).toContain('0 to 63');
  });

  it('names the missing required keys of a target', () => {
    const issues = mistakes('agent:\n  targets:\n    - name: a\n');
    expect(issues.map((issue) => [issue.path, issue.expected, issue.line])).toEqual([
      ['agent.targets[0].address', 'an IP address or a host name (required)', 3],
      ['agent.targets[0].protocol', 'twamp, twamp-light or stamp (required)', 3],
    ]);
  });
});

describe('bad CIDRs and durations', () => {
  it('reports each bad access entry where it is', () => {
    const issues = mistakes('access:\n  control:\n    - 192.0.2.0/24\n    - 10.0.0.0/33\n    - not-an-address\n');
    expect(issues.map((issue) => [issue.path, issue.received, issue.line, issue.column])).toEqual([
      ['access.control[1]', '"10.0.0.0/33"', 4, 7],
      ['access.control[2]', '"not-an-address"', 5, 7],
    ]);
    expect(issues[0]?.expected).toBe('an IPv4 or IPv6 address with an optional /prefix, such as 192.0.2.0/24 or 2001:db8::/32');
  });

  it('reports durations without a number, with an unknown unit, or out of range', () => {
    // 30 days is more than a Node timer can wait (it would fire after 1 ms).
    for (const value of ['soon', '"10 days"', '-1', '1.5.2s', '[1]', '30d', '2592000']) {
      const issue = only(`limits: {handshakeTimeout: ${value}}`);
      expect(issue.path).toBe('limits.handshakeTimeout');
      expect(issue.expected).toBe('a duration: seconds as a number, or a number with a unit (250ms, 30s, 15m, 1h), more than 0, at most 2147483647 ms (24.8 days)');
    }
    expect(only('limits: {idleTimeout: 0}').path).toBe('limits.idleTimeout');
    expect(only('agent: {defaults: {interval: 2d}}').path).toBe('agent.defaults.interval');
  });
});

describe('cross-field mistakes', () => {
  it('duplicate names', () => {
    expect(only('agent:\n  targets:\n    - {name: a, protocol: stamp, address: 192.0.2.1}\n    - {name: a, protocol: stamp, address: 192.0.2.2}\n')).toMatchObject({
      path: 'agent.targets[1].name',
      expected: 'a name no other target has (agent.targets[0] is also "a")',
      line: 4,
    });
    const reflectors = 'listeners: {reflectors: [{name: r, protocol: stamp, port: 1000}, {name: r, protocol: stamp, port: 1001}]}';
    expect(only(reflectors).expected).toBe('a name no other reflector has (listeners.reflectors[0] is also "r")');
    expect(only('listeners: {reflectors: [{name: control, protocol: stamp}]}').path).toBe('listeners.reflectors[0].name');
  });

  it('two listeners on one address, port and transport (wildcards cover the rest)', () => {
    expect(only('listeners: {reflectors: [{name: a, protocol: stamp}, {name: b, protocol: twamp-light, address: 192.0.2.1}]}')).toMatchObject({
      path: 'listeners.reflectors[1].port',
      expected: 'a UDP port not already used on this address (listeners.reflectors[0].port has :: port 862)',
    });
    expect(only('metrics: {address: "::", port: 862}').path).toBe('metrics.port');
    // TCP control and UDP reflector may share 862; distinct specific addresses may share a port.
    expect(() => parseConfig('listeners: {reflectors: [{name: a, protocol: stamp}]}\nmetrics: {enabled: false}')).not.toThrow();
    expect(() => parseConfig('listeners: {reflectors: [{name: a, protocol: stamp, address: 192.0.2.1}, {name: b, protocol: stamp, address: 192.0.2.2}]}')).not.toThrow();
    expect(() => parseConfig('listeners: {reflectors: [{name: a, protocol: stamp, address: "2001:db8::1"}, {name: b, protocol: stamp, address: 0.0.0.0}]}')).not.toThrow();
  });

  it('access keys must name a listener', () => {
    expect(only('access:\n  light: [192.0.2.0/24]\n')).toMatchObject({ path: 'access.light', expected: 'the name of a listener: control', line: 2, column: 3 });
    expect(only('listeners: {control: {enabled: false}}\naccess: {control: []}').expected).toBe('the name of a listener, but none is configured (listeners.control is disabled)');
  });

  it('secured modes need a key file; secured targets and reflectors need a keyId', () => {
    expect(only('security:\n  modes: [open, auth]\n')).toMatchObject({ path: 'security.keyFile', received: 'nothing', line: 2, column: 10 });
    expect(only('agent: {targets: [{name: a, protocol: twamp, address: h.example, modes: encrypted}]}\nsecurity: {keyFile: /k}')).toMatchObject({
      path: 'agent.targets[0].keyId',
      expected: 'the key identity in security.keyFile (required for the encrypted mode(s))',
    });
    expect(only('agent: {targets: [{name: a, protocol: stamp, address: 192.0.2.1, keyId: k}]}')).toMatchObject({
      path: 'security.keyFile',
      expected: 'a key file holding the secret of "k" (agent.targets[0].keyId use keys)',
    });
    expect(only('security: {keyFile: /k}\nlisteners: {reflectors: [{name: s, protocol: stamp, security: authenticated}]}').path).toBe('listeners.reflectors[0].keyId');
  });

  it('modes each protocol can use', () => {
    expect(only('agent: {targets: [{name: a, protocol: twamp-light, address: 192.0.2.1, modes: [auth], keyId: k}]}\nsecurity: {keyFile: /k}')).toMatchObject({
      path: 'agent.targets[0].modes',
      expected: 'open (TWAMP Light targets send open test packets)',
    });
    expect(only('agent: {targets: [{name: a, protocol: stamp, address: 192.0.2.1, modes: [open, auth], keyId: k}]}\nsecurity: {keyFile: /k}').path).toBe('agent.targets[0].modes');
    expect(only('listeners: {reflectors: [{name: l, protocol: twamp-light, security: authenticated, keyId: k}]}\nsecurity: {keyFile: /k}').path).toBe('listeners.reflectors[0].security');
  });

  it('window at least the interval, retry initial at most max, padding and ssid per protocol', () => {
    expect(only('agent: {targets: [{name: a, protocol: stamp, address: 192.0.2.1, interval: 2s, window: 1s}]}')).toMatchObject({
      path: 'agent.targets[0].window',
      expected: 'a window of at least the interval (2s)',
      received: '1s',
    });
    expect(only('agent: {retry: {initial: 10m, max: 1m}}')).toMatchObject({ path: 'agent.retry.initial', received: '10m' });
    expect(only('agent: {targets: [{name: a, protocol: twamp, address: 192.0.2.1, padding: imix}]}').path).toBe('agent.targets[0].padding');
    expect(only('agent: {targets: [{name: a, protocol: stamp, address: 192.0.2.1, padding: 2}]}').path).toBe('agent.targets[0].padding');
    expect(only('agent: {targets: [{name: a, protocol: twamp-light, address: 192.0.2.1, ssid: 7}]}').path).toBe('agent.targets[0].ssid');
  });

  it('reports a mistake inherited from agent.defaults once, at the default', () => {
    const issues = mistakes('agent:\n  defaults: {ssid: 7, ttl: 0}\n  targets:\n    - {name: a, protocol: twamp, address: 192.0.2.1}\n    - {name: b, protocol: twamp, address: 192.0.2.2}\n');
    expect(issues.map((issue) => issue.path)).toEqual(['agent.defaults.ttl']);
    const cross = mistakes('agent:\n  defaults: {ssid: 7}\n  targets:\n    - {name: a, protocol: twamp, address: 192.0.2.1}\n    - {name: b, protocol: twamp-light, address: 192.0.2.2}\n');
    expect(cross.map((issue) => [issue.path, issue.line])).toEqual([['agent.defaults.ssid', 2]]);
  });
});

describe('every mistake at once', () => {
  it('reports all of them, in file order, one per line of formatConfigError', () => {
    const text = [
      'listeners:',
      '  control:',
      '    port: 99999',
      'lmits: {}',
      'limits:',
      '  sessionsTotal: 0',
      'agent:',
      '  targets:',
      '    - {name: a, protocol: smtp, address: 192.0.2.1}',
      '    - {name: b, protocol: stamp, address: 192.0.2.1, dscp: XX}',
      'metrics: {port: x}',
    ].join('\n');
    let error: unknown;
    try {
      parseConfig(text, 'site.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = formatConfigError(error as ConfigError).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('site.yaml:3:11: listeners.control.port: expected a port number from 1 to 65535, or 0 for any free port, got 99999');
    expect(lines[1]).toBe('site.yaml:4:1: lmits: expected a known key (did you mean limits?), got an unknown key');
    expect(lines[2]).toBe('site.yaml:6:18: limits.sessionsTotal: expected an integer from 1 to 1000000, got 0');
    expect(lines[3]).toMatch(/^site\.yaml:9:\d+: agent\.targets\[0\]\.protocol: expected twamp, twamp-light or stamp, got "smtp"$/);
    expect(lines[4]).toMatch(/^site\.yaml:10:\d+: agent\.targets\[1\]\.dscp: expected a DSCP name .*, got "XX"$/);
    expect(lines[5]).toBe('site.yaml:11:17: metrics.port: expected a port number from 1 to 65535, or 0 for any free port, got "x"');
  });

  it('formats issues without a position plainly', () => {
    expect(formatConfigError(new ConfigError([{ path: 'security.keyFile', expected: 'a readable key file', received: 'ENOENT' }]))).toBe(
      'security.keyFile: expected a readable key file, got ENOENT',
    );
  });
});

describe('YAML itself', () => {
  it('reports syntax errors with their line and column', () => {
    const issues = mistakes('limits:\n  sessionsTotal: [1\nmetrics: }\n');
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path).toBe('(YAML syntax)');
      expect(issue.expected).toBe('valid YAML');
      expect(issue.line).toBeGreaterThanOrEqual(2);
      expect(issue.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('reports duplicate keys, a document that is not a map, and self-referencing aliases', () => {
    expect(only('limits: {}\nlimits: {}\n')).toMatchObject({ path: '(YAML syntax)', line: 2, column: 1 });
    expect(only('- a\n- b\n')).toMatchObject({ path: '(the whole file)', received: 'a list of 2' });
    expect(only('"just text"')).toMatchObject({ path: '(the whole file)', received: '"just text"' });
    expect(only('access: &a {control: *a}').path).toBe('access.control');
  });

  it('bounds alias expansion (billion laughs)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i += 1) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    expect(only(lines.join('\n')).path).toBe('(YAML aliases)');
  });

  it('names an unreadable file', async () => {
    await expect(loadConfig('/nonexistent/twampd.yaml')).rejects.toMatchObject({
      issues: [{ path: '/nonexistent/twampd.yaml', expected: 'a readable config file', received: 'ENOENT' }],
    });
  });
});

describe('fuzz: nothing but ConfigError', () => {
  function returnsOrConfigError(text: string): boolean {
    try {
      parseConfig(text, 'fuzz.yaml');
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.issues.length > 0 && error.issues.every((issue) => typeof issue.path === 'string' && typeof issue.expected === 'string');
    }
  }

  const words = fc.constantFrom(
    'listeners', 'control', 'reflectors', 'security', 'modes', 'access', 'limits', 'agent', 'targets', 'defaults', 'name',
    'protocol', 'address', 'port', 'stamp', 'twamp', 'open', 'auth', 'keyId', 'interval', 'window', 'dscp', 'EF', '862',
    '0', '-1', '1s', 'ms', '::', '192.0.2.0/24', 'null', '~', 'true', '&a', '*a', '!!str', '"', "'", '[', ']', '{', '}',
    ',', ':', '- ', '? ', '#', '|', '>', '%YAML 1.2', '---', '...', '\t', '\n', '\n  ', '\n    - ', ' ',
  );

  it('YAML-ish text', () => {
    fc.assert(fc.property(fc.array(words, { maxLength: 60 }).map((parts) => parts.join('')), returnsOrConfigError), { numRuns: 500 });
  });

  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), returnsOrConfigError), { numRuns: 300 });
  });

  it('arbitrary JSON values, at the root and in every section', () => {
    const sections = ['listeners', 'security', 'access', 'limits', 'agent', 'logging', 'metrics', 'shutdownGrace'];
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(...sections), (value, section) => {
        return returnsOrConfigError(JSON.stringify(value)) && returnsOrConfigError(JSON.stringify({ [section]: value }));
      }),
      { numRuns: 400 },
    );
  });

  it('targets and reflectors made of plausible keys with arbitrary values', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('stamp', 'twamp', 'twamp-light', 'auth', 'EF', '1s', '192.0.2.1', 'x'));
    const target = fc.dictionary(fc.constantFrom('name', 'protocol', 'address', 'port', 'modes', 'keyId', 'ssid', 'padding', 'dscp', 'window', 'interval', 'labels'), value);
    fc.assert(
      fc.property(fc.array(target, { maxLength: 4 }), fc.array(target, { maxLength: 3 }), target, (targets, reflectors, defaults) =>
        returnsOrConfigError(JSON.stringify({ agent: { defaults, targets }, listeners: { reflectors }, access: { x: ['1.2.3.4'] } })),
      ),
      { numRuns: 300 },
    );
  });
});
