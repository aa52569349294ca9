/**
 * The straightforward reflector the fast path is measured against: decode the request into an object
 * with the typed codecs, build the reply object, encode it into a new Buffer. Same wire result as
 * reflectInto for the benchmarked layouts (run.ts checks that before timing).
 */
import {
  decodeStampSender,
  decodeTlvArea,
  decodeTwampSender,
  encodeStampReflector,
  encodeTlvArea,
  encodeTwampReflector,
  type ReflectContext,
  reflectedTlvFlags,
  type StampSecurity,
  type TwampLayout,
} from '../src/packets/index.js';

/** The per-packet inputs reflectInto takes from its context (T2, T3, numbering, TTL); the reference takes the same. */
export type ReferenceClock = Pick<
  ReflectContext,
  'sequence' | 'receiveSeconds' | 'receiveFraction' | 'sendSeconds' | 'sendFraction' | 'errorEstimate' | 'receivedTtl'
>;

export function referenceTwampReflect(request: Buffer, layout: TwampLayout, clock: ReferenceClock): Buffer {
  const sender = decodeTwampSender(request, layout);
  const replyLength = Math.max(request.length, layout.reflector.padding);
  const padding = Buffer.alloc(replyLength - layout.reflector.padding);
  padding.set(sender.padding.subarray(0, padding.length));
  const sequence = clock.sequence;
  clock.sequence = (sequence + 1) >>> 0;
  return encodeTwampReflector(
    {
      sequence,
      timestamp: { seconds: clock.sendSeconds, fraction: clock.sendFraction },
      errorEstimate: clock.errorEstimate,
      receiveTimestamp: { seconds: clock.receiveSeconds, fraction: clock.receiveFraction },
      senderSequence: sender.sequence,
      senderTimestamp: sender.timestamp,
      senderErrorEstimate: sender.errorEstimate,
      senderTtl: clock.receivedTtl,
      ...(layout.reflector.hmac >= 0 ? { hmac: new Uint8Array(16) } : {}),
      padding,
    },
    layout,
  );
}

const UNDERSTOOD = new Set([1, 8]);

export function referenceStampReflect(request: Buffer, security: StampSecurity, clock: ReferenceClock): Buffer {
  const sender = decodeStampSender(request, security);
  const walk = decodeTlvArea(sender.tlvs);
  const tlvs = walk.tlvs.map((tlv) => ({ ...tlv, flags: reflectedTlvFlags(UNDERSTOOD.has(tlv.type), false) }));
  const sequence = clock.sequence;
  clock.sequence = (sequence + 1) >>> 0;
  return encodeStampReflector(
    {
      sequence,
      timestamp: { seconds: clock.sendSeconds, fraction: clock.sendFraction },
      errorEstimate: clock.errorEstimate,
      ssid: sender.ssid,
      receiveTimestamp: { seconds: clock.receiveSeconds, fraction: clock.receiveFraction },
      senderSequence: sender.sequence,
      senderTimestamp: sender.timestamp,
      senderErrorEstimate: sender.errorEstimate,
      senderTtl: clock.receivedTtl,
      ...(security === 'authenticated' ? { hmac: new Uint8Array(16) } : {}),
      // The benchmarked areas are well formed; a malformed tail would be appended verbatim here.
      tlvs: encodeTlvArea(tlvs),
    },
    security,
  );
}
