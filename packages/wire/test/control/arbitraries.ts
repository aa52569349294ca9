// fast-check arbitraries for every TWAMP-Control message, as the full decoded value.
import fc from 'fast-check';
import type { ControlMessage, ControlMessageType } from '../../src/control/index.js';
import { readAddress } from '../../src/values/address.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const octets = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length });
export const timestamp = fc.record({ seconds: u32, fraction: u32 });
const sid = octets(16);
const hmac = octets(16);
const sids = fc.array(sid, { maxLength: 6 });

/** IPv6 text in the canonical form a decoder produces (RFC 5952), from any 16 octets. */
const ipv6 = octets(16).map((raw) => readAddress(Buffer.from(raw), 0, 6, 'test', 'address'));

/** IPVN and two addresses that fit it: 4, 6, or another nibble whose addresses decode as ''. */
const addressing = fc.oneof(
  fc.record({ ipvn: fc.constant(4), senderAddress: fc.ipV4(), receiverAddress: fc.ipV4() }),
  fc.record({ ipvn: fc.constant(6), senderAddress: ipv6, receiverAddress: ipv6 }),
  fc.record({
    ipvn: fc.integer({ min: 0, max: 15 }).filter((n) => n !== 4 && n !== 6),
    senderAddress: fc.constant(''),
    receiverAddress: fc.constant(''),
  }),
);

export const ARBITRARIES: { readonly [K in ControlMessageType]: fc.Arbitrary<Extract<ControlMessage, { type: K }>> } = {
  'server-greeting': fc.record({
    type: fc.constant('server-greeting'),
    modes: u32,
    challenge: octets(16),
    salt: octets(16),
    count: u32,
  }),
  'set-up-response': fc.record({
    type: fc.constant('set-up-response'),
    mode: u32,
    keyId: octets(80),
    token: octets(64),
    clientIv: octets(16),
  }),
  'server-start': fc.record({ type: fc.constant('server-start'), accept: u8, serverIv: octets(16), startTime: timestamp }),
  'request-tw-session': fc
    .record({
      addressing,
      confSender: u8,
      confReceiver: u8,
      numberOfScheduleSlots: u32,
      numberOfPackets: u32,
      senderPort: u16,
      receiverPort: u16,
      sid,
      paddingLength: u32,
      startTime: timestamp,
      timeout: timestamp,
      typeP: u32,
      octetsToBeReflected: u16,
      lengthOfPaddingToReflect: u16,
      hmac,
    })
    .map(({ addressing: a, ...rest }) => ({ type: 'request-tw-session' as const, ...a, ...rest })),
  'accept-session': fc.record({
    type: fc.constant('accept-session'),
    accept: u8,
    port: u16,
    sid,
    reflectedOctets: u16,
    serverOctets: u16,
    hmac,
  }),
  'start-sessions': fc.record({ type: fc.constant('start-sessions'), hmac }),
  'start-ack': fc.record({ type: fc.constant('start-ack'), accept: u8, hmac }),
  'stop-sessions': fc.record({ type: fc.constant('stop-sessions'), accept: u8, numberOfSessions: u32, hmac }),
  'start-n-sessions': fc.record({ type: fc.constant('start-n-sessions'), sids, hmac }),
  'start-n-ack': fc.record({ type: fc.constant('start-n-ack'), accept: u8, sids, hmac }),
  'stop-n-sessions': fc.record({ type: fc.constant('stop-n-sessions'), sids, hmac }),
  'stop-n-ack': fc.record({ type: fc.constant('stop-n-ack'), accept: u8, sids, hmac }),
};

export const MESSAGE_TYPES = Object.keys(ARBITRARIES) as ControlMessageType[];
