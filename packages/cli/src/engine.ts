// The measurement engine behind the commands: @twamp/test-session's sender and reflector, and name
// resolution. An interface so that command tests can run in-process with a scripted engine.
import { lookup } from 'node:dns/promises';
import { NetworkError } from '@twamp/errors';
import type { ReflectorOptions, SenderOptions, SessionReflectorApi, SessionSenderApi } from '@twamp/test-session';
import { SessionReflector, SessionSender } from '@twamp/test-session';
import { type IpFamily, isLocalAddress } from '@twamp/udp';

export interface CliEngine {
  openSender(options: SenderOptions): Promise<SessionSenderApi>;
  openReflector(options: ReflectorOptions): Promise<SessionReflectorApi>;
  /** One address of `family` for a host name. */
  resolve(host: string, family: IpFamily): Promise<string>;
}

async function resolveHost(host: string, family: IpFamily): Promise<string> {
  try {
    const { address } = await lookup(host, { family });
    return address;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new NetworkError({
      operation: `resolve host name (IPv${family})`,
      systemCode: typeof code === 'string' ? code : 'ENOTFOUND',
      endpoint: host,
      detail: `no IPv${family} address found; give an IP address, or try ${family === 4 ? '-6' : '-4'}`,
    });
  }
}

/**
 * The real engine. A reflector at an address of this host (loopback, or a local interface's: `twamp
 * sender` to a local responder, `controller` to a local server's test address) reads our clock, so
 * the sender is told `sharedClock` unless the caller decided.
 */
export const defaultEngine: CliEngine = {
  openSender: (options) => SessionSender.open({ ...options, sharedClock: options.sharedClock ?? isLocalAddress(options.target.address) }),
  openReflector: (options) => SessionReflector.open(options),
  resolve: resolveHost,
};
