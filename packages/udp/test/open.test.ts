// Implementation selection: the option, then TWAMP_UDP_IMPL, then whether the addon loads. Asking
// for the native socket where it does not load is a ConfigError with the loader's reason.

import { ConfigError } from '@twamp/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clockStatus, openUdpSocket, type UdpSocket, udpImplementationStatus } from '../src/index.js';
import { nativeAvailability } from './support/implementations.js';

const native = nativeAvailability();
const opened: UdpSocket[] = [];

async function open(...args: Parameters<typeof openUdpSocket>): Promise<UdpSocket> {
  const socket = await openUdpSocket(...args);
  opened.push(socket);
  return socket;
}

afterEach(() => {
  vi.unstubAllEnvs();
  for (const socket of opened.splice(0)) socket.close();
});

describe('openUdpSocket chooses an implementation', () => {
  it('auto opens native when it loads, dgram otherwise', async () => {
    vi.stubEnv('TWAMP_UDP_IMPL', '');
    const socket = await open({ family: 4, address: '127.0.0.1' });
    expect(socket.capabilities.implementation).toBe(native.available ? 'native' : 'dgram');
    const status = udpImplementationStatus();
    expect(status.implementation).toBe(socket.capabilities.implementation);
    expect(status.native.available).toBe(native.available);
    expect(status.environment).toBeUndefined();
    expect(status.reason).toMatch(native.available ? /loaded/ : /did not load/);
  });

  it("'dgram' always opens the fallback", async () => {
    const socket = await open({ family: 6, address: '::1', implementation: 'dgram' });
    expect(socket.capabilities.implementation).toBe('dgram');
  });

  it("'native' opens the addon, or fails with the loader's reason", async () => {
    const attempt = open({ family: 4, address: '127.0.0.1', implementation: 'native' });
    if (native.available) {
      expect((await attempt).capabilities.implementation).toBe('native');
    } else {
      const failure = await attempt.catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).issues[0]?.path).toBe('implementation');
      expect((failure as Error).message).toContain(native.reason);
    }
  });

  it('TWAMP_UDP_IMPL overrides auto, not an explicit choice', async () => {
    vi.stubEnv('TWAMP_UDP_IMPL', 'dgram');
    expect((await open({ family: 4, address: '127.0.0.1' })).capabilities.implementation).toBe('dgram');
    expect(udpImplementationStatus()).toMatchObject({ implementation: 'dgram', environment: 'dgram', reason: 'TWAMP_UDP_IMPL=dgram' });
    if (native.available) {
      const explicit = await open({ family: 4, address: '127.0.0.1', implementation: 'native' });
      expect(explicit.capabilities.implementation).toBe('native');
    }
    vi.stubEnv('TWAMP_UDP_IMPL', 'native');
    const attempt = open({ family: 4, address: '127.0.0.1', implementation: 'dgram' });
    expect((await attempt).capabilities.implementation).toBe('dgram');
  });

  it('TWAMP_UDP_IMPL=native where the addon does not load names the variable and the reason', async () => {
    vi.stubEnv('TWAMP_UDP_IMPL', 'native');
    const attempt = open({ family: 4, address: '127.0.0.1' });
    if (native.available) {
      expect((await attempt).capabilities.implementation).toBe('native');
      return;
    }
    const failure = await attempt.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).issues[0]?.path).toBe('TWAMP_UDP_IMPL');
    expect((failure as Error).message).toContain(native.reason);
  });

  it('an unknown TWAMP_UDP_IMPL is a ConfigError, for open and for the status', async () => {
    vi.stubEnv('TWAMP_UDP_IMPL', 'kernel-bypass');
    await expect(open({ family: 4 })).rejects.toThrow(ConfigError);
    expect(() => udpImplementationStatus()).toThrow(/TWAMP_UDP_IMPL/);
  });

  it('bad options are one ConfigError before anything opens', async () => {
    const failure = await open({ family: 5 as 4, port: -1, ttl: 300, tos: 256, implementation: 'fast' as 'auto' }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).issues.map((issue) => issue.path)).toEqual(['family', 'port', 'ttl', 'tos', 'implementation']);
  });
});

describe('clockStatus', () => {
  it('comes from adjtimex through the addon, or says it is unknown', () => {
    const status = clockStatus();
    expect(typeof status.synchronized).toBe('boolean');
    if (!native.available) {
      expect(status).toEqual({ synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'unknown' });
      return;
    }
    expect(['adjtimex', 'unknown']).toContain(status.source);
    for (const value of [status.estimatedErrorSeconds, status.maximumErrorSeconds]) {
      if (value !== undefined) expect(value).toBeGreaterThanOrEqual(0);
    }
  });
});
