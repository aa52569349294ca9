// Which implementations the shared suites run against, and a scope that closes every socket a test
// opened even when the test fails.
//
// Every implementation always gets a describe block. One that does not load here is skipped with
// the loader's reason in the title, unless TWAMP_REQUIRE_NATIVE=1 (CI): then its block holds one
// failing test that says why, so a broken build cannot pass as "skipped".
//
// The memory implementation runs on a MemoryNetwork with the REAL clock: the suite is written for
// real sockets (it waits with real timers, and bounds receive times and stamps by Date.now()), and
// on the real clock the memory network delivers asynchronously through real timers and stamps from
// the wall clock, so the very same tests hold it to the same contract. Its determinism on a
// virtual clock is proven by test/memory/*.test.ts. One network per describe block, like one host:
// ports taken by earlier tests stay taken until their sockets close.

import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryNetwork,
  openUdpSocket,
  udpImplementationStatus,
  type UdpImplementation,
  type UdpSocket,
  type UdpSocketOptions,
} from '../../src/index.js';

export const REQUIRE_NATIVE = process.env['TWAMP_REQUIRE_NATIVE'] === '1';

export interface ImplementationCase {
  readonly implementation: UdpImplementation;
  readonly available: boolean;
  /** Why it cannot run here; empty when it can. */
  readonly reason: string;
  /** Suite title: the name, plus why it is skipped or failing. */
  readonly title: string;
}

export function nativeAvailability(): { readonly available: boolean; readonly reason: string } {
  const native = udpImplementationStatus().native;
  return native.available ? { available: true, reason: '' } : { available: false, reason: native.reason };
}

export function implementationCases(): ImplementationCase[] {
  const native = nativeAvailability();
  let note = '';
  if (!native.available) {
    note = REQUIRE_NATIVE
      ? ` [failing: TWAMP_REQUIRE_NATIVE=1 but the native addon did not load: ${native.reason}]`
      : ` [skipped: the native addon did not load: ${native.reason}; build it with pnpm --filter @twamp/udp build:native, or set TWAMP_REQUIRE_NATIVE=1 to make this a failure]`;
    // Suite titles only show in verbose reporters; a skip must not go unnoticed in the default one.
    console.warn(`@twamp/udp native suites${note}`);
  }
  return [
    { implementation: 'native', available: native.available, reason: native.reason, title: `native${note}` },
    { implementation: 'dgram', available: true, reason: '', title: 'dgram' },
    { implementation: 'memory', available: true, reason: '', title: 'memory (real clock)' },
  ];
}

export type OpenOptions = Omit<UdpSocketOptions, 'implementation'>;

/** Opens sockets of one implementation and closes all of them in closeAll() (call it in afterEach). */
export class SocketScope {
  readonly implementation: UdpImplementation;
  readonly #sockets: UdpSocket[] = [];
  /** The network memory sockets are opened on (made on first use). */
  #network: MemoryNetwork | undefined;

  constructor(implementation: UdpImplementation) {
    this.implementation = implementation;
  }

  async open(options: OpenOptions): Promise<UdpSocket> {
    const socket =
      this.implementation === 'memory'
        ? await (this.#network ??= new MemoryNetwork({ clock: 'real' })).open(options)
        : await openUdpSocket({ ...options, implementation: this.implementation });
    this.#sockets.push(socket);
    return socket;
  }

  closeAll(): void {
    for (const socket of this.#sockets.splice(0)) socket.close();
  }
}

/**
 * The shared-suite frame: one describe block per implementation, each with its own SocketScope
 * closed after every test. `body` registers the tests.
 */
export function describeEachImplementation(
  body: (scope: SocketScope, implementation: UdpImplementation) => void,
  options: { readonly only?: readonly UdpImplementation[] } = {},
): void {
  const cases = implementationCases().filter((entry) => options.only?.includes(entry.implementation) ?? true);
  describe.each(cases.map((entry) => [entry.title, entry] as const))('%s', (_title, { implementation, available, reason }) => {
    if (!available) {
      if (REQUIRE_NATIVE) {
        it('loads', () => {
          expect.fail(`the ${implementation} implementation did not load: ${reason}`);
        });
      } else {
        it.skip(`skipped: ${reason}`, () => undefined);
      }
      return;
    }
    const scope = new SocketScope(implementation);
    afterEach(() => {
      scope.closeAll();
    });
    body(scope, implementation);
  });
}
