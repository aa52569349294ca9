import { MalformedInputError } from '@twamp/errors';
import { expect, it } from 'vitest';
import {
  encodeStampSender,
  encodeStampTlvs,
  encodeTwampReflector,
  encodeTwampSender,
  type StampSecurity,
  type TwampLayout,
  twampLayout,
} from '../../src/packets/index.js';
import { Rng } from './helpers.js';

/**
 * High-volume fuzzing with a seeded PRNG (fast-check's per-run overhead would blow the time budget at
 * 100 000 cases per decoder). Inputs mix uniformly random octets, every prefix of valid packets
 * (truncation) and valid packets with random octets flipped. Only MalformedInputError may escape.
 */

export const CASES = 100_000;

export const layouts: TwampLayout[] = [
  twampLayout({ security: 'open' }),
  twampLayout({ security: 'authenticated' }),
  twampLayout({ security: 'encrypted', symmetricalSize: true }),
  twampLayout({ security: 'open', symmetricalSize: true, dscpEcnMonitoring: true, reflectOctets: 4 }),
  twampLayout({ security: 'authenticated', dscpEcnMonitoring: true }),
];
export const securities: StampSecurity[] = ['open', 'authenticated'];

/** Valid packets to truncate and mutate, so the fuzz reaches past the length checks. */
function seeds(): Buffer[] {
  const out: Buffer[] = [];
  const ts = { seconds: 0xe8c1a2b3, fraction: 0x12345678 };
  const hmac = new Uint8Array(16).fill(0xaa);
  const tlvs = encodeStampTlvs([
    { kind: 'extra-padding', flags: 0x80, padding: new Uint8Array(5) },
    { kind: 'class-of-service', flags: 0x80, dscp1: 46, dscp2: 0, ecn: 0, rp: 0 },
    {
      kind: 'location', flags: 0x80, destinationPort: 0, sourcePort: 0,
      subTlvs: [{ kind: 'source-mac-address', flags: 0x80 }, { kind: 'destination-ip-address', flags: 0x80 }],
    },
    { kind: 'timestamp-information', flags: 0x80, syncSourceIn: 0, timestampIn: 0, syncSourceOut: 0, timestampOut: 0, subTlvs: new Uint8Array(0) },
    { kind: 'follow-up-telemetry', flags: 0x80, sequence: 0, timestamp: { seconds: 0, fraction: 0 }, timestampMethod: 0 },
    { kind: 'hmac', flags: 0x80, hmac },
  ]);
  for (const layout of layouts) {
    const h = layout.sender.hmac >= 0 ? { hmac } : {};
    out.push(encodeTwampSender({ sequence: 1, timestamp: ts, errorEstimate: 1, padding: new Uint8Array(30).fill(7), ...h }, layout));
    const rh = layout.reflector.hmac >= 0 ? { hmac } : {};
    out.push(encodeTwampReflector({
      sequence: 1, timestamp: ts, errorEstimate: 1, receiveTimestamp: ts, senderSequence: 2, senderTimestamp: ts,
      senderErrorEstimate: 3, senderTtl: 64, padding: new Uint8Array(10), ...rh,
    }, layout));
  }
  for (const security of securities) {
    const h = security === 'authenticated' ? { hmac } : {};
    out.push(encodeStampSender({ sequence: 1, timestamp: ts, errorEstimate: 1, ssid: 5, tlvs, ...h }, security));
  }
  out.push(tlvs);
  return out;
}

const SEEDS = seeds();

/** The i-th fuzz input: random, a truncated seed, or a mutated seed. Reuses `scratch` (no per-case garbage). */
export function input(rng: Rng, scratch: Buffer): Buffer {
  const mode = rng.below(3);
  if (mode === 0) {
    const length = rng.below(260);
    rng.fill(scratch, length);
    return scratch.subarray(0, length);
  }
  const seed = SEEDS[rng.below(SEEDS.length)]!;
  seed.copy(scratch, 0);
  if (mode === 1) {
    return scratch.subarray(0, rng.below(seed.length + 1));
  }
  const flips = 1 + rng.below(8);
  for (let i = 0; i < flips; i++) {
    scratch[rng.below(seed.length)] = rng.next() & 0xff;
  }
  return scratch.subarray(0, seed.length);
}

export function fuzz(name: string, decode: (b: Buffer, rng: Rng) => unknown, seed: number): void {
  it(`${name}: ${CASES} cases, only MalformedInputError escapes`, () => {
    const rng = new Rng(seed);
    const scratch = Buffer.alloc(512);
    let ok = 0;
    let malformed = 0;
    // Stack traces are most of the cost of a thrown error and say nothing here; restore after.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < CASES; i++) {
        const b = input(rng, scratch);
        try {
          decode(b, rng);
          ok++;
        } catch (error) {
          if (!(error instanceof MalformedInputError)) {
            throw new Error(`case ${i} (${b.toString('hex')}) threw ${String(error)}`);
          }
          malformed++;
        }
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(ok + malformed).toBe(CASES);
    // Both outcomes must be exercised, or the fuzz is not reaching the decoder's logic.
    expect(ok).toBeGreaterThan(0);
    expect(malformed).toBeGreaterThan(0);
  });
}

