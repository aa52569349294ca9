// Small socket helpers that need no Node-API: address parsing and formatting, NTP stamps,
// errno text. Kept apart so the socket class reads as the data path only.
#ifndef TWAMP_UDP_NET_UTIL_H_
#define TWAMP_UDP_NET_UTIL_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace twamp_udp {

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
constexpr uint64_t kNtpUnixOffset = 2208988800ULL;

struct NtpStamp {
  uint32_t seconds;
  uint32_t fraction;
};

// CLOCK_REALTIME now, as NTP: seconds + 1900 offset (wrapping with the era), and
// fraction = floor(ns * 2^32 / 10^9), which fits 64 bits since ns < 2^30.
NtpStamp NtpNow();

// Big-endian, as on the wire. p may be unaligned.
inline void PutNtp(uint8_t* p, NtpStamp s) {
  p[0] = static_cast<uint8_t>(s.seconds >> 24);
  p[1] = static_cast<uint8_t>(s.seconds >> 16);
  p[2] = static_cast<uint8_t>(s.seconds >> 8);
  p[3] = static_cast<uint8_t>(s.seconds);
  p[4] = static_cast<uint8_t>(s.fraction >> 24);
  p[5] = static_cast<uint8_t>(s.fraction >> 16);
  p[6] = static_cast<uint8_t>(s.fraction >> 8);
  p[7] = static_cast<uint8_t>(s.fraction);
}

// Parses an IP literal of the given family (AF_INET or AF_INET6) with a port. IPv6 accepts a
// zone ("fe80::1%eth0" or "%2") for link-local peers. Returns false on anything else: this
// layer does no name resolution.
bool ParseEndpoint(int family, const std::string& text, int port, sockaddr_storage* out, socklen_t* out_len);

// "a.b.c.d:port" or "[v6]:port", for error messages only (not on the data path).
std::string FormatEndpoint(const sockaddr* address);

// strerror that is thread-safe and works with both the GNU and the XSI strerror_r.
std::string ErrorText(int error);

}  // namespace twamp_udp

#endif  // TWAMP_UDP_NET_UTIL_H_
