#include "net_util.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace twamp_udp {

NtpStamp NtpNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  NtpStamp s;
  s.seconds = static_cast<uint32_t>(static_cast<uint64_t>(ts.tv_sec) + kNtpUnixOffset);
  s.fraction = static_cast<uint32_t>((static_cast<uint64_t>(ts.tv_nsec) << 32) / 1000000000ULL);
  return s;
}

bool ParseEndpoint(int family, const std::string& text, int port, sockaddr_storage* out, socklen_t* out_len) {
  if (port < 0 || port > 65535) return false;
  std::memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, text.c_str(), &sin->sin_addr) != 1) return false;
    *out_len = sizeof(sockaddr_in);
    return true;
  }
  if (family != AF_INET6) return false;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(port));
  std::string host = text;
  const size_t percent = text.find('%');
  if (percent != std::string::npos) {
    host = text.substr(0, percent);
    const std::string zone = text.substr(percent + 1);
    if (zone.empty()) return false;
    char* end = nullptr;
    const unsigned long numeric = std::strtoul(zone.c_str(), &end, 10);
    if (end != nullptr && *end == '\0') {
      sin6->sin6_scope_id = static_cast<uint32_t>(numeric);
    } else {
      const unsigned index = if_nametoindex(zone.c_str());
      if (index == 0) return false;
      sin6->sin6_scope_id = index;
    }
  }
  if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) return false;
  *out_len = sizeof(sockaddr_in6);
  return true;
}

std::string FormatEndpoint(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(ntohs(sin->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(sin6->sin6_port));
  }
  return std::string();
}

namespace {
// GNU strerror_r returns the message (maybe not in buf); XSI returns an int and fills buf.
// Overloading on the return type picks the right one without feature-test macros.
[[maybe_unused]] const char* PickMessage(const char* returned, const char* /*buffer*/) { return returned; }
[[maybe_unused]] const char* PickMessage(int /*returned*/, const char* buffer) { return buffer; }
}  // namespace

std::string ErrorText(int error) {
  char buffer[256] = {0};
  return std::string(PickMessage(strerror_r(error, buffer, sizeof(buffer)), buffer));
}

}  // namespace twamp_udp
