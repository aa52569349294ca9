// The memory layout shared with the addon (mirrors native/layout.h). Per received packet the
// addon fills META_STRIDE int32 words; the batch callback is the only call into JavaScript.
// LAYOUT_VERSION must equal the addon's `layoutVersion`: the loader refuses a stale build.

export const LAYOUT_VERSION = 3;

export const META_STRIDE = 16;
export const META_LENGTH = 0;
export const META_FLAGS = 1;
export const META_PORT = 2;
export const META_TTL = 3;
export const META_TOS = 4;
/** Unix seconds, low 32 bits: read through the Uint32Array view. */
export const META_SECONDS_LOW = 5;
export const META_SECONDS_HIGH = 6;
export const META_NANOS = 7;
/** First word of 16 octets of source address (network order; IPv4 in the first 4). */
export const META_SOURCE = 8;
/** First word of 16 octets of local (destination) address. */
export const META_LOCAL = 12;

export const FLAG_TRUNCATED = 1;
export const FLAG_SOURCE_V6 = 2;
export const FLAG_LOCAL_KNOWN = 4;
export const FLAG_KERNEL_TIME = 8;
export const FLAG_LOCAL_V6 = 16;

/** Batch flag (second argument of the batch callback): every packet has a kernel timestamp. */
export const BATCH_KERNEL_TIME = 1;

/** Control buffer: float64 counters, then the last NTP stamp as two uint32. */
export const CTL_BYTES = 128;
export const STAT_PACKETS_RECEIVED = 0;
export const STAT_PACKETS_SENT = 1;
export const STAT_BYTES_RECEIVED = 2;
export const STAT_BYTES_SENT = 3;
export const STAT_SEND_DROPPED = 4;
export const STAT_TRUNCATED = 5;
export const STAT_RECEIVE_BATCHES = 6;
export const STAT_COUNT = 8;
export const STAMP_BYTE_OFFSET = 64;
/** Control buffer: int32 count of replies queued in the send slab (the addon zeroes it on flush). */
export const TX_COUNT_BYTE_OFFSET = 72;
/** Control buffer: int32 count of packets queued for flushSends() (the addon zeroes it on flush). */
export const SEND_COUNT_BYTE_OFFSET = 76;
/** Control buffer: int32, 1 when the last flushSends() met (and retried past) a stale ECONNREFUSED. */
export const SEND_REFUSED_BYTE_OFFSET = 80;

/**
 * The reply queue (`replyBuffers()`): reply q's octets at q × maxPacketSize of the send slab,
 * TX_STRIDE int32 words at q × TX_STRIDE of the send metadata (-1 = none for the last three).
 */
export const TX_STRIDE = 8;
export const TX_INDEX = 0;
export const TX_LENGTH = 1;
export const TX_STAMP_OFFSET = 2;
export const TX_TTL = 3;
export const TX_TOS = 4;

/**
 * The send queue (`sendQueueBuffers()`: [slab, metadata, stamps, results]): packet q's octets at
 * q × maxPacketSize of the slab, SEND_STRIDE int32 words at q × SEND_STRIDE of the metadata; the
 * addon writes entry q's NTP stamp at 2q (seconds, fraction) of the stamps and its outcome at q
 * of the results (1 sent, 0 dropped, -errno). Capacity: batchSize entries and destinations.
 */
export const SEND_STRIDE = 8;
/** Destination table slot (setDestination()), -1 = the connected peer. */
export const SEND_DESTINATION = 0;
export const SEND_LENGTH = 1;
export const SEND_STAMP_OFFSET = 2;
export const SEND_TTL = 3;
export const SEND_TOS = 4;

/** Option ids of `setOption`. */
export const Option = {
  reuseAddress: 1,
  receiveBuffer: 2,
  sendBuffer: 3,
  ttl: 4,
  tos: 5,
  dontFragment: 6,
} as const;
export type Option = (typeof Option)[keyof typeof Option];
