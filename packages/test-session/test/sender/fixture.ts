// A deliberately tiny reflector for the sender's tests, on @twamp/udp and wire's reflectInto, with
// knobs to misbehave: drop, delay, truncate to twampy's 38 octets, sign with the wrong key. The real
// SessionReflector is tested on its own; tests between the two live in test/integration.
import { openUdpSocket, type UdpImplementation, type UdpSocket } from '@twamp/udp';
import {
  createStampReflectContext,
  createTwampReflectContext,
  fillClassOfService,
  NTP_UNIX_OFFSET_SECONDS,
  ntpFractionFromNanos,
  reflectInto,
  signStampPacket,
  StampSecurity,
  TestPacketCrypto,
  TestPacketKind,
  TlvType,
  tlvEnd,
  twampLayout,
  TestSecurity,
  understoodTlvTypes,
  verifyStampPacket,
  writeNtpFromUnix,
  type ReflectContext,
  type TwampLayout,
} from '@twamp/wire';

export interface FixtureOptions {
  readonly protocol: 'twamp' | 'stamp';
  readonly layout?: TwampLayout;
  readonly crypto?: TestPacketCrypto;
  readonly stampSecurity?: StampSecurity;
  readonly stampKey?: Uint8Array;
  readonly stateful?: boolean;
  /** Do not answer this sender sequence number. */
  readonly drop?: (sequence: number) => boolean;
  /** Answer this sender sequence number after this many ms (0: at once). */
  readonly delayMs?: (sequence: number) => number;
  /** Send only the first octets of each reply (twampy: 38). */
  readonly truncateTo?: number;
  readonly implementation?: UdpImplementation;
  /** IPv6: bind ::1 instead of 127.0.0.1. */
  readonly family?: 4 | 6;
  /** STAMP: sign replies with this key instead of stampKey (a reflector with the wrong key). */
  readonly replyKey?: Uint8Array;
}

export interface TestReflector {
  readonly port: number;
  /** Request lengths in arrival order. */
  readonly lengths: number[];
  /** Copies of the requests as received (first 128 octets). */
  readonly requests: Buffer[];
  /** Requests whose HMAC did not verify. */
  readonly badRequests: number;
  readonly socket: UdpSocket;
  close(): void;
}

const SPLIT = { seconds: 0, nanos: 0 };

function nowSplit(): typeof SPLIT {
  const ms = Date.now();
  SPLIT.seconds = Math.floor(ms / 1000);
  SPLIT.nanos = (ms % 1000) * 1_000_000;
  return SPLIT;
}

/** Class of Service TLVs in a STAMP reply: DSCP2/ECN as received (RFC 8972 §4.4). */
function fillCos(reply: Buffer, base: number, length: number, tos: number): void {
  let at = base;
  while (at < length) {
    const next = tlvEnd(reply, at, length);
    if (next < 0) return;
    if (reply[at + 1] === TlvType.ClassOfService) fillClassOfService(reply, at + 4, tos, false);
    at = next;
  }
}

export async function openTestReflector(options: FixtureOptions): Promise<TestReflector> {
  const socket = await openUdpSocket({
    family: options.family ?? 4,
    address: options.family === 6 ? '::1' : '127.0.0.1',
    ttl: 255, maxPacketSize: 65_535, ...(options.implementation ? { implementation: options.implementation } : {}) });
  const layout = options.layout ?? twampLayout({ security: TestSecurity.Open });
  const stampSecurity = options.stampSecurity ?? StampSecurity.Open;
  const ctx: ReflectContext =
    options.protocol === 'twamp'
      ? createTwampReflectContext({ layout, stateful: options.stateful ?? true })
      : createStampReflectContext({
          security: stampSecurity,
          stateful: options.stateful ?? true,
          understoodTlvs: understoodTlvTypes([TlvType.ExtraPadding, TlvType.ClassOfService, TlvType.Hmac]),
        });
  const reply = Buffer.alloc(70_000);
  const lengths: number[] = [];
  const requests: Buffer[] = [];
  const state = { badRequests: 0 };
  const timers = new Set<NodeJS.Timeout>();

  socket.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const length = batch.length(i);
      const data = batch.data(i);
      lengths.push(length);
      requests.push(Buffer.from(data.subarray(0, Math.min(length, 128))));
      if (options.crypto !== undefined && !options.crypto.unprotect(data, TestPacketKind.Sender)) {
        state.badRequests++;
        continue;
      }
      if (options.stampKey !== undefined && !verifyStampPacket(options.stampKey, data)) {
        state.badRequests++;
        continue;
      }
      const sequence = data.readUInt32BE(0);
      if (options.drop?.(sequence) === true) continue;
      ctx.receiveSeconds = (batch.timeSeconds(i) + NTP_UNIX_OFFSET_SECONDS) >>> 0;
      ctx.receiveFraction = ntpFractionFromNanos(batch.timeNanos(i));
      const ttl = batch.ttl(i);
      const tos = batch.tos(i);
      ctx.receivedTtl = ttl < 0 ? 255 : ttl;
      ctx.receivedTos = tos < 0 ? 0 : tos;
      const n = reflectInto(data, length, reply, ctx);
      if (n < 0) continue;
      if (options.protocol === 'stamp') fillCos(reply, ctx.rPad, n, ctx.receivedTos);
      const out = Math.min(n, options.truncateTo ?? n);
      const address = batch.address(i);
      const port = batch.port(i);
      const send = (bytes: Buffer): void => {
        if (options.crypto !== undefined || options.stampKey !== undefined) {
          const t = nowSplit();
          writeNtpFromUnix(bytes, ctx.rTs, t.seconds, t.nanos);
          if (options.crypto !== undefined) options.crypto.protect(bytes, TestPacketKind.Reflector);
          else if (options.stampKey !== undefined) signStampPacket(options.replyKey ?? options.stampKey, bytes);
          socket.send(bytes, out, address, port);
        } else {
          socket.send(bytes, out, address, port, { stampOffset: ctx.rTs });
        }
      };
      const delay = options.delayMs?.(sequence) ?? 0;
      if (delay > 0) {
        const copy = Buffer.from(reply.subarray(0, Math.max(n, 112)));
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!socket.closed) send(copy);
        }, delay);
        timers.add(timer);
      } else {
        send(reply);
      }
    }
  });

  return {
    port: socket.localPort,
    lengths,
    requests,
    get badRequests() {
      return state.badRequests;
    },
    socket,
    close() {
      for (const timer of timers) clearTimeout(timer);
      socket.close();
    },
  };
}

/** A TestPacketCrypto pair (sender side, reflector side) from fixed keys: keys supplied directly, as TWAMP Light does. */
export function cryptoPair(protection: 'authenticated' | 'encrypted', seed = 1): { sender: TestPacketCrypto; reflector: TestPacketCrypto } {
  const aesKey = Buffer.alloc(16, seed);
  const hmacKey = Buffer.alloc(32, seed + 1);
  return {
    sender: new TestPacketCrypto({ aesKey, hmacKey }, protection),
    reflector: new TestPacketCrypto({ aesKey, hmacKey }, protection),
  };
}
