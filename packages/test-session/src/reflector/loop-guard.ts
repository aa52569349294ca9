// Recognising our own replies when they come back as requests. A reflector answers whatever reaches
// it, so one forged packet can start an endless exchange: with a reflector of ours whose address
// the packet claims (answered by the source checks), or with any other reflector (ours in another
// process, or a stranger's). Every reply we send carries a timestamp we wrote (T3); a request that
// carries one of them is a reply of ours coming back, either where a sender puts its timestamp (our
// reply fed back as is) or where a reflector copies the sender's (another reflector answered our
// reply). Recognising it ends the loop at the second turn whatever the other side does.
//
// The memory is process-wide (module state), so two reflectors in one process recognise each other's
// replies at the first turn. It is a direct-mapped table of recent T3 values keyed by their fraction
// bits: O(1), allocation-free, bounded (a slot keeps the latest stamp hashed to it). A match needs all
// 64 bits and a T3 at most a few seconds older than the request's receive time.
//
// An honest sender's T1 is its own clock reading, and it does equal one of our T3s now and then:
// a sender and a reflector that both stamp whole batches at 100 000 packets/s on one host read the
// clock at the same nanosecond a few times a second (measured: 228 of 300 000 packets, whole sender
// batches, dropped before this rule). So a match where a sender puts its timestamp counts only when
// the packet also carries, where our reply puts its Receive Timestamp, a time at most a few seconds
// before that T3: what our own reply holds, and what an honest request (zero padding there, or the
// STAMP MBZ field) does not. A match where a reflector copies the sender's timestamp needs no second
// field: an honest request has padding there, never a clock reading of ours.

/** 2^15 slots of [seconds, fraction]: 256 KiB for the whole process. */
const SLOT_BITS = 15;
const stamps = new Uint32Array((1 << SLOT_BITS) * 2);
/** A stamp older than this (by the request's receive time) no longer counts: loops turn in milliseconds. */
const MAX_AGE_SECONDS = 4;

function slotOf(fraction: number): number {
  return (Math.imul(fraction, 0x9e3779b1) >>> (32 - SLOT_BITS)) << 1;
}

/** Remember a timestamp written into a reply (NTP seconds and fraction). */
export function rememberReplyStamp(seconds: number, fraction: number): void {
  if (seconds === 0) return;
  const slot = slotOf(fraction);
  stamps[slot] = seconds;
  stamps[slot + 1] = fraction;
}

function readUint32(data: Uint8Array, at: number): number {
  return (((data[at] ?? 0) << 24) | ((data[at + 1] ?? 0) << 16) | ((data[at + 2] ?? 0) << 8) | (data[at + 3] ?? 0)) >>> 0;
}

/** Whether the 8 octets at `at` hold a timestamp we wrote into a reply recently (`receiveSeconds`: the request's T2, NTP seconds). */
function recentStampAt(data: Uint8Array, at: number, receiveSeconds: number): boolean {
  const fraction = readUint32(data, at + 4);
  const slot = slotOf(fraction);
  if (stamps[slot + 1] !== fraction) return false;
  const seconds = readUint32(data, at);
  if (seconds === 0 || stamps[slot] !== seconds) return false;
  // One second of slack the other way: reflectors of one process may stamp from different clocks.
  return ((receiveSeconds - seconds + 1) >>> 0) <= MAX_AGE_SECONDS + 1;
}

/** Whether the seconds at `at` are a receive time at most MAX_AGE_SECONDS before the T3 seconds at `t3At` (what our reply holds). */
function receiveTimeBefore(data: Uint8Array, at: number, t3At: number): boolean {
  const received = readUint32(data, at);
  return received !== 0 && ((readUint32(data, t3At) - received) >>> 0) <= MAX_AGE_SECONDS;
}

/**
 * Whether a request of `length` octets is one of our replies coming back: a recent T3 of ours at the
 * sender-timestamp offset `senderTs` together with a receive time before it at `receiveTs` (our reply
 * as we sent it), or a recent T3 of ours at `copiedTs`, where a reflector's reply carries the
 * sender's timestamp (another reflector answered our reply).
 */
export function isLoopedReply(data: Uint8Array, length: number, senderTs: number, receiveTs: number, copiedTs: number, receiveSeconds: number): boolean {
  if (length >= senderTs + 8 && length >= receiveTs + 8 && recentStampAt(data, senderTs, receiveSeconds) && receiveTimeBefore(data, receiveTs, senderTs)) return true;
  return length >= copiedTs + 8 && recentStampAt(data, copiedTs, receiveSeconds);
}
