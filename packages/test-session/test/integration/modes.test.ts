// SessionSender ↔ SessionReflector on real loopback sockets, IPv4 and IPv6, in every packet mode:
// TWAMP Light open, STAMP open, STAMP authenticated (HMAC-SHA-256), and TWAMP authenticated and
// encrypted with keys supplied directly — once as a session registered on the reflector (as a
// TWAMP-Control server would hand it over) and once as TWAMP Light with lightLayout/lightCrypto —
// each with a stateful and a stateless reflector. Both sides derive their own TestPacketCrypto from
// the same control keys and SID, as the two ends of a real session do.

import { type TestPacketProtection, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReflectorOptions, SenderOptions, SessionReflector } from '../../src/index.js';
import { type Family, loopback, nativeStatus, SessionScope, SID, sideCrypto, STAMP_KEY } from '../support/sessions.js';

const COUNT = 30;

interface Mode {
  readonly name: string;
  /** Reflector options for sessions made on first packet, or 'registered' for a TWAMP session. */
  readonly reflector: ReflectorOptions | { readonly registered: TestPacketProtection };
  readonly sender: () => Omit<SenderOptions, 'target' | 'reflectorStateful'>;
  /** Octets of each reply (the sender pads symmetrically by default). */
  readonly replyBase: number;
  /** T1 and T3 sit inside HMAC-covered or encrypted octets, so the engine stamps them itself. */
  readonly protectedTimestamps?: boolean;
}

// Every time of a measurement comes from the socket's one clock per side: the socket stamps T1/T3
// (stamp-on-send) or the engine reads the socket's clock (stampNow) where the crypto covers them, and
// the socket reads T2/T4. So in every mode and on both implementations a round trip is strictly
// positive, and T3 − T2 and T4 − T1 are never negative. No tolerance.

const authenticated = twampLayout({ security: 'authenticated' });
const encrypted = twampLayout({ security: 'encrypted' });

const MODES: readonly Mode[] = [
  { name: 'TWAMP Light open', reflector: { protocol: 'twamp-light' }, sender: () => ({ protocol: 'twamp-light' }), replyBase: 41 },
  { name: 'STAMP open', reflector: { protocol: 'stamp' }, sender: () => ({ protocol: 'stamp', ssid: 0x1234 }), replyBase: 44 },
  {
    name: 'STAMP authenticated (HMAC-SHA-256)',
    reflector: { protocol: 'stamp', stampSecurity: 'authenticated', stampKey: STAMP_KEY },
    sender: () => ({ protocol: 'stamp', ssid: 7, stampSecurity: 'authenticated', stampKey: STAMP_KEY }),
    replyBase: 112,
    protectedTimestamps: true,
  },
  {
    name: 'TWAMP authenticated, registered session',
    reflector: { registered: 'authenticated' },
    sender: () => ({ protocol: 'twamp', layout: authenticated, crypto: sideCrypto('authenticated') }),
    replyBase: 112,
    protectedTimestamps: true,
  },
  {
    name: 'TWAMP encrypted, registered session',
    reflector: { registered: 'encrypted' },
    sender: () => ({ protocol: 'twamp', layout: encrypted, crypto: sideCrypto('encrypted') }),
    replyBase: 112,
    protectedTimestamps: true,
  },
  {
    name: 'TWAMP Light authenticated (lightLayout/lightCrypto)',
    reflector: { protocol: 'twamp-light', lightLayout: authenticated, lightCrypto: () => sideCrypto('authenticated') },
    sender: () => ({ protocol: 'twamp-light', layout: authenticated, crypto: sideCrypto('authenticated') }),
    replyBase: 112,
    protectedTimestamps: true,
  },
  {
    name: 'TWAMP Light encrypted (lightLayout/lightCrypto)',
    reflector: { protocol: 'twamp-light', lightLayout: encrypted, lightCrypto: () => sideCrypto('encrypted') },
    sender: () => ({ protocol: 'twamp-light', layout: encrypted, crypto: sideCrypto('encrypted') }),
    replyBase: 112,
    protectedTimestamps: true,
  },
];

const scope = new SessionScope();
afterEach(() => {
  scope.closeAll();
});

type Implementation = 'auto' | 'dgram';

async function openReflector(mode: Mode, family: Family, stateful: boolean, implementation: Implementation): Promise<SessionReflector> {
  const address = loopback(family);
  if ('registered' in mode.reflector) {
    const protection = mode.reflector.registered;
    const reflector = await scope.reflector({ family, address, registeredOnly: true, stateful, implementation });
    reflector.register({ sid: SID, layout: protection === 'authenticated' ? authenticated : encrypted, crypto: sideCrypto(protection), stateful });
    return reflector;
  }
  return scope.reflector({ ...mode.reflector, family, address, stateful, implementation });
}

// 'auto' is the native socket where the addon loads (the title says when it did not); the dgram
// fallback runs every mode too.
const native = nativeStatus();
const IMPLEMENTATIONS: readonly (readonly [string, Implementation])[] = [
  [native.available ? 'native socket' : `auto socket (dgram: the native addon did not load: ${native.reason})`, 'auto'],
  ['dgram fallback', 'dgram'],
];

describe.each(IMPLEMENTATIONS)('%s', (_socket, implementation) => {
  describe.each([4, 6] as const)('loopback IPv%i', (family) => {
    describe.each(MODES.map((mode) => [mode.name, mode] as const))('%s', (_name, mode) => {
      it.each([
        ['stateful', true],
        ['stateless', false],
      ] as const)('%s reflector: every packet answered, sequence numbers as the mode says', async (_label, stateful) => {
        const reflector = await openReflector(mode, family, stateful, implementation);
        const { report, packets } = await scope.run({
          ...mode.sender(),
          family,
          implementation,
          target: { address: loopback(family), port: reflector.localPort },
          reflectorStateful: stateful,
          count: COUNT,
          schedule: { kind: 'periodic', intervalMs: 1 },
          lossTimeoutMs: 1000,
        });

        const { loss } = report.summary;
        expect(loss).toMatchObject({ sent: COUNT, received: COUNT, lost: 0, duplicates: 0, late: 0 });
        expect(report.malformedReplies).toBe(0);
        expect(report.sendErrors).toBe(0);
        expect(report.protocol).toBe(mode.sender().protocol);
        expect(report.target).toEqual({ address: loopback(family), port: reflector.localPort });

        const counted = packets.filter((p) => p.disposition === 'counted');
        expect(counted.map((p) => p.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
        if (stateful) {
          // The reflector's own counter: 0, 1, 2 … in the order it received them; per-direction loss known.
          expect(counted.map((p) => p.reflectorSequence).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
          expect(loss.forwardLost).toBe(0);
          expect(loss.backwardLost).toBe(0);
        } else {
          // RFC 8762 §4.2 stateless: the sender's own number comes back.
          for (const p of counted) expect(p.reflectorSequence).toBe(p.sequence);
        }
        for (const p of counted) {
          expect(p.rtt).toBeGreaterThan(0);
          expect(p.rtt).toBeLessThan(500e6);
          expect(p.processing).toBeGreaterThanOrEqual(0);
          expect(p.t4 - p.t1).toBeGreaterThan(0);
          expect(p.t3 - p.t2).toBeGreaterThanOrEqual(0);
          expect(p.replyLength).toBeGreaterThanOrEqual(mode.replyBase);
        }
        expect(report.summary.roundTrip.count).toBe(COUNT);

        const stats = reflector.stats;
        expect(stats.packetsIn).toBe(COUNT);
        expect(stats.packetsOut).toBe(COUNT);
        expect(Object.values(stats.dropped).reduce((a, b) => a + b, 0)).toBe(0);
        expect(stats.sessionsActive).toBe(1);
      });
    });
  });
});
