// Which implementation a socket gets. The native addon when it loads (it sees and sets what
// node:dgram cannot), node:dgram otherwise; a caller or the environment can insist on one, and
// insisting on the native one where it does not load is a ConfigError carrying the loader's reason,
// never a quiet downgrade.

import { ConfigError } from '@twamp/errors';
import { openDgramSocket } from './dgram/index.js';
import { checkSocketOptions } from './dgram/options.js';
import { nativeClockStatus, nativeMonotonicReader, nativeStatus, openNativeSocket } from './native/index.js';
import type { ClockStatus, UdpImplementation, UdpSocket, UdpSocketOptions } from './types.js';

/** Environment variable that picks the implementation when the options say `auto` (or nothing). */
export const UDP_IMPLEMENTATION_ENV = 'TWAMP_UDP_IMPL';

/** What openUdpSocket opens (memory sockets are opened by their network). */
type SystemImplementation = Exclude<UdpImplementation, 'memory'>;

export type NativeLoadStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

export interface UdpImplementationStatus {
  /** What `implementation: 'auto'` opens on this machine now. */
  readonly implementation: SystemImplementation;
  /** Why, in words (for logs and `doctor`-style output). */
  readonly reason: string;
  /** Whether the native addon loaded, and the loader's reason when it did not. */
  readonly native: NativeLoadStatus;
  /** The value of TWAMP_UDP_IMPL when it is set. */
  readonly environment: SystemImplementation | undefined;
}

const UNKNOWN_CLOCK: ClockStatus = Object.freeze({
  synchronized: false,
  estimatedErrorSeconds: undefined,
  maximumErrorSeconds: undefined,
  source: 'unknown',
});

function environmentChoice(): SystemImplementation | undefined {
  const value = process.env[UDP_IMPLEMENTATION_ENV];
  if (value === undefined || value === '') return undefined;
  if (value === 'native' || value === 'dgram') return value;
  throw new ConfigError([{ path: UDP_IMPLEMENTATION_ENV, expected: "'native' or 'dgram' (or unset for auto)", received: JSON.stringify(value) }]);
}

interface Choice {
  readonly implementation: SystemImplementation;
  readonly reason: string;
  /** Where an explicit choice came from, for the error when it cannot be honoured. */
  readonly path: string | undefined;
}

function choose(requested: SystemImplementation | 'auto', native: NativeLoadStatus): Choice {
  if (requested === 'native' || requested === 'dgram') {
    return { implementation: requested, reason: `asked for by the implementation option`, path: 'implementation' };
  }
  const fromEnvironment = environmentChoice();
  if (fromEnvironment !== undefined) {
    return { implementation: fromEnvironment, reason: `${UDP_IMPLEMENTATION_ENV}=${fromEnvironment}`, path: UDP_IMPLEMENTATION_ENV };
  }
  if (native.available) return { implementation: 'native', reason: 'the native addon loaded', path: undefined };
  return { implementation: 'dgram', reason: `the native addon did not load: ${native.reason}`, path: undefined };
}

/** Which implementation `auto` picks now, and why. Throws a ConfigError when TWAMP_UDP_IMPL is invalid. */
export function udpImplementationStatus(): UdpImplementationStatus {
  const native = nativeStatus();
  const choice = choose('auto', native);
  return { implementation: choice.implementation, reason: choice.reason, native, environment: environmentChoice() };
}

/**
 * Open a bound UDP socket: native when it loads (or when asked for), node:dgram otherwise. Check
 * `socket.capabilities` for what the chosen one can do. Bad options are a ConfigError; bind
 * failures a NetworkError.
 */
export async function openUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
  checkSocketOptions(options);
  const native = nativeStatus();
  // checkSocketOptions refused 'memory': what is left is a system implementation or 'auto'.
  const choice = choose((options.implementation ?? 'auto') as SystemImplementation | 'auto', native);
  if (choice.implementation === 'dgram') return openDgramSocket(options);
  if (!native.available) {
    throw new ConfigError([
      {
        path: choice.path ?? 'implementation',
        expected: `an implementation that loads here (the native addon did not: ${native.reason}); 'dgram' or 'auto' work everywhere`,
        received: 'native',
      },
    ]);
  }
  // Synchronous in the addon; the async signature leaves room for the fallback's bind.
  return Promise.resolve(openNativeSocket(options));
}

/**
 * The system clock's synchronisation state (adjtimex through the native addon), or "unknown"
 * where the addon does not load. Independent of the socket implementation in use.
 */
export function clockStatus(): ClockStatus {
  if (!nativeStatus().available) return UNKNOWN_CLOCK;
  return nativeClockStatus() ?? UNKNOWN_CLOCK;
}

/**
 * A reader of the monotonic clock in milliseconds (CLOCK_MONOTONIC, the clock of performance.now();
 * the origin is unspecified: use differences, or anchor it) for busy waits. Through the native addon
 * a read allocates nothing, where performance.now() on Node 20 allocates an array per call, which
 * a spin-wait turns into frequent garbage collections (each one a stall of a few hundred
 * microseconds). Where the addon does not load, it is performance.now() (origin: process start).
 * Each call returns a new reader; keep one.
 */
export function monotonicClockReader(): () => number {
  if (!nativeStatus().available) return () => performance.now();
  return nativeMonotonicReader() ?? (() => performance.now());
}
