// The control commands' argument checks, pure: modes, key options, server offer, PBKDF2 count,
// port ranges, and each command's plan with its defaults.
import { ConfigError } from '@twamp/errors';
import { Mode } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { parseControlClientArguments } from '../src/commands/controlclient.js';
import { parseControllerArguments } from '../src/commands/controller.js';
import { PassphraseInput } from '../src/control/engine.js';
import { parseServerArguments } from '../src/commands/server.js';
import {
  DEFAULT_SERVER_EXTENSIONS,
  modeList,
  parseClientSecurity,
  parseModesOption,
  parseReflectorPorts,
  parseServerSecurity,
} from '../src/control/options.js';

const ALL = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

function issuePath(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues[0]?.path;
    throw error;
  }
  return undefined;
}

describe('--mode', () => {
  it('reads names, repeats and comma lists into mode bits', () => {
    expect(parseModesOption(undefined)).toBeUndefined();
    expect(parseModesOption(['open'])).toBe(Mode.Unauthenticated);
    expect(parseModesOption(['auth,encrypted'])).toBe(Mode.Authenticated | Mode.Encrypted);
    expect(parseModesOption(['Mixed', 'unauthenticated', 'authenticated'])).toBe(Mode.Mixed | Mode.Unauthenticated | Mode.Authenticated);
    expect(parseModesOption(['all'])).toBe(ALL);
  });

  it('refuses unknown names, naming the option', () => {
    expect(issuePath(() => parseModesOption(['open,secure']))).toBe('--mode');
    expect(issuePath(() => parseModesOption(['']))).toBe('--mode');
  });

  it('names modes as @twamp/wire does', () => {
    expect(modeList(Mode.Encrypted | Mode.IndividualSessionControl)).toBe('encrypted, individual-session-control');
    expect(modeList(0)).toBe('none');
  });
});

describe('client security', () => {
  it('allows open only without --user, every mode with one', () => {
    expect(parseClientSecurity({})).toEqual({ allowedModes: Mode.Unauthenticated, keyId: undefined, secret: { kind: 'none' } });
    expect(parseClientSecurity({ user: 'alice' })).toEqual({ allowedModes: ALL, keyId: 'alice', secret: { kind: 'prompt' } });
  });

  it('takes the secret from a key file or an environment variable, else the prompt', () => {
    expect(parseClientSecurity({ user: 'alice', keyFile: '/k' }).secret).toEqual({ kind: 'key-file', path: '/k' });
    expect(parseClientSecurity({ user: 'alice', passphraseEnv: 'PW' }).secret).toEqual({ kind: 'env', name: 'PW' });
  });

  it('sends no key identity when only open mode is allowed', () => {
    expect(parseClientSecurity({ user: 'alice', keyFile: '/k', mode: ['open'] })).toEqual({ allowedModes: 1, keyId: undefined, secret: { kind: 'none' } });
  });

  it('refuses inconsistent key options', () => {
    expect(issuePath(() => parseClientSecurity({ mode: ['encrypted'] }))).toBe('--user');
    expect(issuePath(() => parseClientSecurity({ keyFile: '/k' }))).toBe('--user');
    expect(issuePath(() => parseClientSecurity({ passphraseEnv: 'PW' }))).toBe('--user');
    expect(issuePath(() => parseClientSecurity({ user: 'a', keyFile: '/k', passphraseEnv: 'PW' }))).toBe('--passphrase-env');
    expect(issuePath(() => parseClientSecurity({ user: 'a', passphraseEnv: 'not a name' }))).toBe('--passphrase-env');
    expect(issuePath(() => parseClientSecurity({ user: 'x'.repeat(81) }))).toBe('--user');
    expect(issuePath(() => parseClientSecurity({ user: '' }))).toBe('--user');
  });
});

describe('server security', () => {
  it('offers open plus the default extensions without a key file, every mode with one', () => {
    expect(parseServerSecurity({}).modes).toBe(Mode.Unauthenticated | DEFAULT_SERVER_EXTENSIONS);
    expect(parseServerSecurity({ keyFile: '/k' }).modes).toBe(ALL | DEFAULT_SERVER_EXTENSIONS);
    expect(parseServerSecurity({ keyFile: '/k', mode: ['encrypted'], extensions: false }).modes).toBe(Mode.Encrypted);
    expect(DEFAULT_SERVER_EXTENSIONS & Mode.PtpTimestamps).toBe(0);
  });

  it('needs a key file for secured modes and a power-of-2 count', () => {
    expect(issuePath(() => parseServerSecurity({ mode: ['auth'] }))).toBe('--key-file');
    expect(parseServerSecurity({ count: '4096' }).pbkdf2Count).toBe(4096);
    expect(parseServerSecurity({}).pbkdf2Count).toBe(2048);
    for (const bad of ['1000', '3000', '512', 'x', String(2 ** 21)]) expect(issuePath(() => parseServerSecurity({ count: bad }))).toBe('--count');
  });

  it('reads reflector port ranges', () => {
    expect(parseReflectorPorts(undefined)).toBeUndefined();
    expect(parseReflectorPorts('ephemeral')).toBe('ephemeral');
    expect(parseReflectorPorts('0')).toBe('ephemeral');
    expect(parseReflectorPorts('20000-20010')).toEqual({ first: 20000, last: 20010 });
    expect(issuePath(() => parseReflectorPorts('9-1'))).toBe('--port-range');
  });
});

describe('twamp controller arguments', () => {
  it('defaults: loopback server, any reflector port, TCP 862, open, symmetric padding', () => {
    const plan = parseControllerArguments(undefined, undefined, {});
    expect(plan).toMatchObject({
      server: { address: undefined, port: 0 },
      controlPort: 862,
      family: 4,
      security: { allowedModes: Mode.Unauthenticated },
      controlTimeoutMs: 10_000,
      sessionTimeoutSeconds: 2,
      paddingLength: undefined,
      test: { count: 100, intervalMs: 100, lossTimeoutMs: 2000, json: false },
    });
  });

  it('reads the sender options as twamp sender does, and the control ones', () => {
    const plan = parseControllerArguments('[::1]:20001', undefined, {
      count: '5',
      interval: '10',
      padding: '100',
      dscp: 'ef',
      json: true,
      controlPort: '8620',
      mode: ['encrypted'],
      user: 'alice',
      keyFile: '/k',
      sessionTimeout: '0.5',
    });
    expect(plan).toMatchObject({
      server: { address: '::1', port: 20001 },
      family: 6,
      controlPort: 8620,
      paddingLength: 100,
      sessionTimeoutSeconds: 0.5,
      security: { allowedModes: Mode.Encrypted, keyId: 'alice' },
      test: { count: 5, intervalMs: 10, tos: 46 << 2, json: true },
    });
  });

  it('refuses imix padding, bad ports and contradicting families', () => {
    expect(issuePath(() => parseControllerArguments(undefined, undefined, { padding: 'imix' }))).toBe('--padding');
    expect(issuePath(() => parseControllerArguments(undefined, undefined, { controlPort: '0' }))).toBe('--control-port');
    expect(issuePath(() => parseControllerArguments(undefined, undefined, { count: '0' }))).toBe('--count');
    expect(issuePath(() => parseControllerArguments('::1', '127.0.0.1', {}))).toBe('local');
    expect(issuePath(() => parseControllerArguments(undefined, undefined, { controlTimeout: '0' }))).toBe('--control-timeout');
  });
});

describe('twamp controlclient arguments', () => {
  it('needs the sender port; reads sessions, padding, DSCP and duration', () => {
    expect(issuePath(() => parseControlClientArguments('192.0.2.7', undefined, {}))).toBe('sender');
    const plan = parseControlClientArguments('192.0.2.7:20000', '127.0.0.1:20001', { sessions: '3', padding: '0', dscp: 'af41', duration: '1.5' });
    expect(plan).toMatchObject({
      sender: { address: '192.0.2.7', port: 20000 },
      server: { address: '127.0.0.1', port: 20001 },
      sessions: 3,
      paddingLength: 0,
      dscp: 34,
      durationMs: 1500,
    });
    expect(issuePath(() => parseControlClientArguments(':1', undefined, { sessions: '65' }))).toBe('--sessions');
  });
});

describe('twamp server arguments', () => {
  it('listens on any IPv4 address, TCP 862, reflector ports 8760-9960 by default', () => {
    expect(parseServerArguments(undefined, {})).toMatchObject({
      port: 862,
      family: 4,
      maxSessions: 1024,
      reflectorPorts: { first: 8760, last: 9960 },
      allowedClients: undefined,
      pbkdf2Count: 2048,
    });
  });

  it('takes the port from the argument or --control-port, not two different ones', () => {
    expect(parseServerArguments('[::1]:0', {})).toMatchObject({ port: 0, family: 6 });
    expect(parseServerArguments('127.0.0.1', { controlPort: '8620' })).toMatchObject({ port: 8620 });
    expect(parseServerArguments(':8620', { controlPort: '8620' })).toMatchObject({ port: 8620 });
    expect(issuePath(() => parseServerArguments(':8621', { controlPort: '8620' }))).toBe('--control-port');
  });

  it('reads limits, allowed clients and the port range', () => {
    const plan = parseServerArguments(undefined, { maxSessions: '8', allow: ['10.0.0.0/8', '::1'], portRange: 'ephemeral', keyFile: '/k' });
    expect(plan).toMatchObject({ maxSessions: 8, allowedClients: ['10.0.0.0/8', '::1'], reflectorPorts: 'ephemeral', keyFile: '/k' });
    expect(issuePath(() => parseServerArguments(undefined, { allow: ['10.0.0.0/33'] }))).toBe('--allow');
    expect(issuePath(() => parseServerArguments(undefined, { maxSessions: '0' }))).toBe('--max-sessions');
  });
});

describe('passphrase input (raw terminal keys)', () => {
  it('ends on Enter or Ctrl-D, interrupts on Ctrl-C, erases on Backspace', () => {
    const input = new PassphraseInput();
    expect(input.feed('sec')).toBeUndefined();
    expect(input.feed('rx\u007fet\r')).toBe('done');
    expect(input.text).toBe('secret');
    const other = new PassphraseInput();
    expect(other.feed('pä\bss\u0004ignored')).toBe('done');
    expect(other.text).toBe('pss');
    expect(new PassphraseInput().feed('abc\u0003')).toBe('interrupted');
  });
});
