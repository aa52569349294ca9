// The native implementation of @twamp/udp, as `src/open.ts` uses it: whether the addon loads
// (and why not), a socket on it, and the kernel's clock status.

import { NetworkError } from '@twamp/errors';
import type { ClockStatus, UdpSocket, UdpSocketOptions } from '../types.js';
import { loadNative } from './loader.js';
import { resolveOptions } from './options.js';
import { NativeUdpSocket } from './socket.js';

export type NativeStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

// adjtimex(2): the clock-state bit and the state the kernel returns when it is unsynchronised.
const STA_UNSYNC = 0x0040;
const TIME_ERROR = 5;
const MICROSECONDS = 1e6;

/** Whether the addon loaded here; when not, why (remembered from the one load attempt). */
export function nativeStatus(): NativeStatus {
  const loaded = loadNative();
  return loaded.ok ? { available: true } : { available: false, reason: loaded.reason };
}

/**
 * A bound, receiving socket on the addon. Synchronous. Bad options are a ConfigError (all of
 * them named at once); system failures (EADDRINUSE, EACCES, ...) a NetworkError; an addon that
 * does not load a NetworkError with code ENOTSUP and the loader's reason.
 */
export function openNativeSocket(options: UdpSocketOptions): UdpSocket {
  const loaded = loadNative();
  if (!loaded.ok) {
    throw new NetworkError({ operation: 'open native socket', systemCode: 'ENOTSUP', detail: loaded.reason });
  }
  return NativeUdpSocket.open(loaded.binding, resolveOptions(options));
}

/** The kernel's view of the system clock (adjtimex), or undefined when the addon does not load. */
export function nativeClockStatus(): ClockStatus | undefined {
  const loaded = loadNative();
  if (!loaded.ok) return undefined;
  const [state, status, estimatedError, maximumError] = loaded.binding.clockStatus();
  if (state < 0) {
    return { synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'unknown' };
  }
  return {
    synchronized: (status & STA_UNSYNC) === 0 && state !== TIME_ERROR,
    estimatedErrorSeconds: estimatedError / MICROSECONDS,
    maximumErrorSeconds: maximumError / MICROSECONDS,
    source: 'adjtimex',
  };
}

/** A CLOCK_MONOTONIC reader (ms) that allocates nothing per read, or undefined when the addon does not load. */
export function nativeMonotonicReader(): (() => number) | undefined {
  const loaded = loadNative();
  if (!loaded.ok) return undefined;
  const binding = loaded.binding;
  const cell = new Float64Array(1);
  return () => {
    binding.readMonotonic(cell);
    return cell[0] ?? 0;
  };
}
