// Seeded generators of hostile TWAMP-Control input for the fuzz suite, the long fuzz script and
// nothing else: valid message sequences from @twamp/wire's encoders, then bit flips, truncations,
// huge Number of Sessions, wrong command numbers, random garbage and random split points.
// Seeded (never Math.random) so a failing case is reproduced by its seed and index alone.
import {
  Command,
  encodeRequestTwSession,
  encodeSetUpResponse,
  encodeStartNSessions,
  encodeStartSessions,
  encodeStopNSessions,
  encodeStopSessions,
  Mode,
  RequestTwSessionOffset,
  SessionListOffset,
} from '@twamp/wire';
import { baseRequest } from './raw-client.js';

/** A small, fast, seedable PRNG (mulberry32): good enough to pick mutations, never for keys. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** Extension bits a fuzzed Set-Up-Response may ask for on top of open mode. */
const EXTENSIONS = [0, Mode.IndividualSessionControl, Mode.ReflectOctets, Mode.SymmetricalSize, Mode.IndividualSessionControl | Mode.ReflectOctets];

function sid(prng: Prng): Uint8Array {
  return prng.chance(0.5) ? new Uint8Array(16) : prng.bytes(16);
}

function sids(prng: Prng, count: number): Uint8Array[] {
  return Array.from({ length: count }, () => sid(prng));
}

/** One valid command (plaintext, HMAC zeros: open mode does not check it). */
export function validCommand(prng: Prng): Buffer {
  switch (prng.below(6)) {
    case 0:
    case 1: {
      // twampy sends IPVN 4 over IPv6; an IPv6 request with zero addresses is valid on IPv4 too.
      const v6 = prng.chance(0.2);
      const zero = v6 ? '::' : '0.0.0.0';
      return Buffer.from(
        encodeRequestTwSession(
          baseRequest({
            ipvn: v6 ? 6 : 4,
            senderAddress: prng.chance(0.8) ? zero : v6 ? '::1' : '127.0.0.1',
            receiverAddress: zero,
            senderPort: 1 + prng.below(65_535),
            receiverPort: prng.below(65_536),
          }),
        ),
      );
    }
    case 2:
      return Buffer.from(encodeStartSessions({}));
    case 3:
      return Buffer.from(encodeStopSessions({ accept: 0, numberOfSessions: prng.below(3) }));
    case 4:
      return Buffer.from(encodeStartNSessions({ sids: sids(prng, 1 + prng.below(3)) }));
    default:
      return Buffer.from(encodeStopNSessions({ sids: sids(prng, 1 + prng.below(3)) }));
  }
}

/** A valid open-mode client stream: Set-Up-Response then a few commands. */
export function validStream(prng: Prng, commands = 1 + prng.below(5)): Buffer[] {
  const messages: Buffer[] = [Buffer.from(encodeSetUpResponse({ mode: Mode.Unauthenticated | prng.pick(EXTENSIONS) }))];
  for (let i = 0; i < commands; i++) messages.push(validCommand(prng));
  return messages;
}

export const MUTATIONS = ['bit-flips', 'truncate', 'huge-n', 'garbage', 'wrong-command', 'octet-set', 'duplicate', 'valid'] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface FuzzCase {
  readonly mutation: Mutation;
  /** The octets to send, already split at random points. */
  readonly chunks: Buffer[];
  /** How many messages the case holds (valid or mutated), for counting. */
  readonly messages: number;
}

function flipBits(prng: Prng, data: Buffer, flips: number): void {
  if (data.length === 0) return;
  for (let i = 0; i < flips; i++) {
    const at = prng.below(data.length);
    data[at] = (data[at] ?? 0) ^ (1 << prng.below(8));
  }
}

/** Offsets of the message boundaries in a concatenation of `messages`. */
function starts(messages: readonly Buffer[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const message of messages) {
    out.push(at);
    at += message.length;
  }
  return out;
}

/** Split at 0-4 random points (TCP may deliver any split; the server must frame across them). */
export function split(prng: Prng, data: Buffer): Buffer[] {
  if (data.length < 2 || prng.chance(0.3)) return [data];
  const cuts = [...new Set(Array.from({ length: 1 + prng.below(4) }, () => 1 + prng.below(data.length - 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(data.subarray(from, cut));
    from = cut;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

/** One fuzz case for a server reading an open-mode client stream (after its greeting). */
export function serverCase(prng: Prng, mutation: Mutation = prng.pick(MUTATIONS)): FuzzCase {
  const messages = validStream(prng);
  const positions = starts(messages);
  let data: Buffer = Buffer.concat(messages);
  // Mutate after the Set-Up-Response most of the time: that is where the command parser lives.
  const bodyFrom = prng.chance(0.85) ? (positions[1] ?? 0) : 0;
  switch (mutation) {
    case 'bit-flips':
      flipBits(prng, data.subarray(bodyFrom), 1 + prng.below(8));
      break;
    case 'truncate':
      data = data.subarray(0, prng.below(data.length));
      break;
    case 'huge-n': {
      const list = Buffer.from(prng.chance(0.5) ? encodeStartNSessions({ sids: [sid(prng)] }) : encodeStopNSessions({ sids: [sid(prng)] }));
      const n = prng.pick([0, 2, 1025, 65_536, 0x7fff_ffff, 0xffff_ffff, prng.u32()]);
      list.writeUInt32BE(n, SessionListOffset.NumberOfSessions);
      data = Buffer.concat([data, list, prng.bytes(prng.below(64))]);
      break;
    }
    case 'garbage':
      data = bodyFrom === 0 ? prng.bytes(1 + prng.below(400)) : Buffer.concat([data.subarray(0, bodyFrom), prng.bytes(1 + prng.below(400))]);
      break;
    case 'wrong-command': {
      const block = prng.bytes(16 * (1 + prng.below(7)));
      block[0] = prng.pick([0, Command.Forbidden, 4, Command.Experimentation, Command.StartNAck, Command.StopNAck, Command.RequestTwMicroSessions, 12, 0x7f, 0xff, prng.u32() & 0xff]);
      const at = prng.pick(positions.slice(1).concat(data.length));
      data = Buffer.concat([data.subarray(0, at), block, data.subarray(at)]);
      break;
    }
    case 'octet-set': {
      const at = bodyFrom + prng.below(Math.max(1, data.length - bodyFrom));
      if (at < data.length) data[at] = prng.pick([0, 1, 0x7f, 0x80, 0xff, prng.u32() & 0xff]);
      break;
    }
    case 'duplicate': {
      const which = 1 + prng.below(messages.length - 1);
      const message = messages[which] ?? Buffer.alloc(0);
      data = Buffer.concat([data, ...Array.from({ length: 1 + prng.below(20) }, () => message)]);
      break;
    }
    case 'valid':
      break;
  }
  return { mutation, chunks: split(prng, data), messages: messages.length };
}

/**
 * A Request-TW-Session whose framing survives (command 5, 112 octets) but whose fields are
 * random: the server must answer every one with an Accept-Session, whatever the fields say.
 */
export function mutatedRequest(prng: Prng): Buffer {
  const plain: Buffer = Buffer.from(encodeRequestTwSession(baseRequest()));
  switch (prng.below(4)) {
    case 0:
      flipBits(prng, plain.subarray(1, RequestTwSessionOffset.Hmac), 1 + prng.below(6));
      break;
    case 1:
      prng.bytes(RequestTwSessionOffset.Hmac - 1).copy(plain, 1);
      break;
    case 2: {
      const fields = [
        RequestTwSessionOffset.Ipvn,
        RequestTwSessionOffset.ConfSender,
        RequestTwSessionOffset.ConfReceiver,
        RequestTwSessionOffset.NumberOfScheduleSlots + 3,
        RequestTwSessionOffset.NumberOfPackets + 3,
        RequestTwSessionOffset.PaddingLength,
        RequestTwSessionOffset.PaddingLength + 2,
        RequestTwSessionOffset.TypePDescriptor,
        RequestTwSessionOffset.Timeout,
        RequestTwSessionOffset.OctetsToBeReflected,
        RequestTwSessionOffset.LengthOfPaddingToReflect,
        RequestTwSessionOffset.Sid,
      ];
      plain[prng.pick(fields)] = prng.u32() & 0xff;
      break;
    }
    default:
      // The request as is, so some are accepted and open sessions (exercising the limits).
      break;
  }
  return plain;
}

/** Hostile server output for the client fuzz: a greeting (maybe mutated) then maybe Server-Start and garbage. */
export function clientCase(prng: Prng, greeting: Buffer, serverStart: Buffer, reply: Buffer): Buffer[] {
  const g = Buffer.from(greeting);
  const s = Buffer.from(serverStart);
  const r = Buffer.from(reply);
  let data: Buffer;
  switch (prng.below(6)) {
    case 0:
      data = prng.bytes(1 + prng.below(200));
      break;
    case 1:
      flipBits(prng, g, 1 + prng.below(6));
      data = Buffer.concat([g, s, r]);
      break;
    case 2:
      flipBits(prng, s, 1 + prng.below(6));
      data = Buffer.concat([g, s, r]);
      break;
    case 3:
      flipBits(prng, r, 1 + prng.below(6));
      data = Buffer.concat([g, s, r, prng.bytes(prng.below(100))]);
      break;
    case 4:
      data = Buffer.concat([g, s, r]).subarray(0, prng.below(g.length + s.length + r.length));
      break;
    default:
      data = Buffer.concat([g, s, prng.bytes(1 + prng.below(300))]);
      break;
  }
  return split(prng, data);
}
