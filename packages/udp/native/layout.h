// Memory layout shared with JavaScript (mirrored in src/native/layout.ts). The receive path
// crosses into JavaScript once per batch; everything per packet travels through these arrays,
// so no JavaScript object is created per packet. Bump kLayoutVersion on any change: the loader
// refuses an addon whose version differs (a stale build) instead of reading garbage.
#ifndef TWAMP_UDP_LAYOUT_H_
#define TWAMP_UDP_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace twamp_udp {

constexpr int32_t kLayoutVersion = 3;

// Per received packet: kMetaStride int32 words in the meta ArrayBuffer.
constexpr size_t kMetaStride = 16;
constexpr size_t kMetaLength = 0;    // octets stored in the slab (after truncation)
constexpr size_t kMetaFlags = 1;     // kFlag* bits
constexpr size_t kMetaPort = 2;      // source port, host order
constexpr size_t kMetaTtl = 3;       // TTL / Hop Limit, -1 when unknown
constexpr size_t kMetaTos = 4;       // TOS / Traffic Class, -1 when unknown
constexpr size_t kMetaSecondsLow = 5;   // receive time, Unix seconds, low 32 bits (read unsigned)
constexpr size_t kMetaSecondsHigh = 6;  // high 32 bits (signed)
constexpr size_t kMetaNanos = 7;     // nanoseconds within the second
constexpr size_t kMetaSource = 8;    // 16 octets: source address, network order (IPv4 in the first 4)
constexpr size_t kMetaLocal = 12;    // 16 octets: destination address from IP(V6)_PKTINFO

constexpr int32_t kFlagTruncated = 1;
constexpr int32_t kFlagSourceV6 = 2;    // source is IPv6 (IPv4-mapped sources are stored as IPv4)
constexpr int32_t kFlagLocalKnown = 4;
constexpr int32_t kFlagKernelTime = 8;  // receive time came from SCM_TIMESTAMPNS
constexpr int32_t kFlagLocalV6 = 16;

// Batch flags, passed as the second argument of the batch callback.
constexpr int32_t kBatchKernelTime = 1;  // every packet of the batch has a kernel timestamp

// The control ArrayBuffer: counters as float64 (exact up to 2^53), then the last stamp.
constexpr size_t kCtlBytes = 128;
constexpr size_t kStatPacketsReceived = 0;
constexpr size_t kStatPacketsSent = 1;
constexpr size_t kStatBytesReceived = 2;
constexpr size_t kStatBytesSent = 3;
constexpr size_t kStatSendDropped = 4;
constexpr size_t kStatTruncated = 5;
constexpr size_t kStatReceiveBatches = 6;
constexpr size_t kStatCount = 8;
constexpr size_t kStampByteOffset = 64;  // two uint32: NTP seconds, fraction (host order)
constexpr size_t kTxCountByteOffset = 72;  // int32: replies queued in the send slab
constexpr size_t kSendCountByteOffset = 76;    // int32: packets queued for flushSends()
constexpr size_t kSendRefusedByteOffset = 80;  // int32: 1 when the last flushSends() met a stale ECONNREFUSED

// The reply queue (replyBuffers()): reply q's octets at q * maxPacketSize of the send slab, and
// kTxStride int32 words at q * kTxStride of the send metadata. -1 = none for the last three.
constexpr size_t kTxStride = 8;
constexpr size_t kTxIndex = 0;        // the packet of the current batch answered
constexpr size_t kTxLength = 1;       // octets in the slot
constexpr size_t kTxStampOffset = 2;  // where the addon writes the send stamp
constexpr size_t kTxTtl = 3;
constexpr size_t kTxTos = 4;

// The send queue (sendQueueBuffers(): [slab, metadata, stamps, results]), for queue() and
// flushSends(): packet q's octets at q * maxPacketSize of its slab, kSendStride int32 words at
// q * kSendStride of the metadata; the addon writes each entry's NTP stamp (seconds, fraction) at
// 2q of the stamps and its outcome (1 sent, 0 dropped, -errno) at q of the results. Capacity:
// batchSize packets; batchSize destinations in the destination table (setDestination()).
constexpr size_t kSendStride = 8;
constexpr size_t kSendDestination = 0;  // destination table slot, -1 = the connected peer
constexpr size_t kSendLength = 1;
constexpr size_t kSendStampOffset = 2;  // -1 = not stamped
constexpr size_t kSendTtl = 3;          // -1 = the socket's
constexpr size_t kSendTos = 4;          // -1 = the socket's

// Socket options accepted by setOption().
constexpr int32_t kOptReuseAddress = 1;
constexpr int32_t kOptReceiveBuffer = 2;
constexpr int32_t kOptSendBuffer = 3;
constexpr int32_t kOptTtl = 4;
constexpr int32_t kOptTos = 5;
constexpr int32_t kOptDontFragment = 6;

// Limits the JavaScript side validates against; the addon re-checks them defensively.
constexpr int32_t kMinBatch = 1;
constexpr int32_t kMaxBatch = 1024;
constexpr int32_t kMinPacket = 64;
constexpr int32_t kMaxPacket = 65535;

}  // namespace twamp_udp

#endif  // TWAMP_UDP_LAYOUT_H_
