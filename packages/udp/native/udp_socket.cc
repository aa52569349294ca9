#include "udp_socket.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "layout.h"

namespace twamp_udp {

namespace {

// Room per received message for SCM_TIMESTAMPNS, IP(V6)_PKTINFO, TTL/Hop Limit and TOS/Traffic
// Class: about 120 octets on 64-bit Linux. Twice that leaves room for options the kernel may add
// (a short buffer would only set MSG_CTRUNC and lose metadata, never corrupt memory).
constexpr size_t kRxControlBytes = 256;
// Per sent message: PKTINFO + TTL + TOS, at most 88 octets.
constexpr size_t kTxControlBytes = 128;
// recvmmsg() calls per readable event. The poll is level-triggered, so stopping early only
// lets timers and other sockets run before the next batch: the loop stays fair under a flood.
constexpr int kMaxRoundsPerWakeup = 16;
// Errors found while JavaScript is on the stack wait here until the batch callback returns.
constexpr size_t kMaxPendingErrors = 32;

static_assert(kRxControlBytes % sizeof(uint64_t) == 0, "control buffers are arrays of uint64_t");
static_assert(kTxControlBytes % sizeof(uint64_t) == 0, "control buffers are arrays of uint64_t");

// Bytes of a typed array (Buffer, Uint8Array). False for anything else.
bool GetBytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  size_t count = 0;
  void* raw = nullptr;
  napi_value array_buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &raw, &array_buffer, &offset) != napi_ok) return false;
  if (type != napi_uint8_array && type != napi_int8_array && type != napi_uint8_clamped_array) return false;
  *data = static_cast<uint8_t*>(raw);
  *length = count;
  return true;
}

int32_t IntArg(const Napi::CallbackInfo& info, size_t index, int32_t fallback) {
  if (index >= info.Length()) return fallback;
  napi_value value = info[index];
  int32_t result = fallback;
  if (napi_get_value_int32(info.Env(), value, &result) != napi_ok) return fallback;
  return result;
}

bool StringArg(const Napi::CallbackInfo& info, size_t index, std::string* out) {
  if (index >= info.Length() || !info[index].IsString()) return false;
  *out = info[index].As<Napi::String>().Utf8Value();
  return true;
}

int SetInt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : -errno;
}

// Appends one control message at `used` and returns the new length. The caller's buffer is
// kTxControlBytes long and cmsghdr-aligned; the largest sum we build is well below that.
size_t AppendControl(uint8_t* control, size_t used, int level, int type, const void* data, size_t length) {
  std::memset(control + used, 0, CMSG_SPACE(length));
  auto* header = reinterpret_cast<cmsghdr*>(control + used);
  header->cmsg_level = level;
  header->cmsg_type = type;
  header->cmsg_len = CMSG_LEN(length);
  std::memcpy(CMSG_DATA(header), data, length);
  return used + CMSG_SPACE(length);
}

}  // namespace

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineClass(env, "UdpSocket",
                     {
                         InstanceMethod<&UdpSocket::Open>("open"),
                         InstanceMethod<&UdpSocket::SetOption>("setOption"),
                         InstanceMethod<&UdpSocket::Bind>("bind"),
                         InstanceMethod<&UdpSocket::Start>("start"),
                         InstanceMethod<&UdpSocket::LocalAddress>("localAddress"),
                         InstanceMethod<&UdpSocket::Connect>("connect"),
                         InstanceMethod<&UdpSocket::SetPeer>("setPeer"),
                         InstanceMethod<&UdpSocket::Send>("send"),
                         InstanceMethod<&UdpSocket::Reply>("reply"),
                         InstanceMethod<&UdpSocket::Flush>("flush"),
                         InstanceMethod<&UdpSocket::StampNow>("stampNow"),
                         InstanceMethod<&UdpSocket::Close>("close"),
                         InstanceMethod<&UdpSocket::Buffers>("buffers"),
                         InstanceMethod<&UdpSocket::ReplyBuffers>("replyBuffers"),
                         InstanceMethod<&UdpSocket::SendQueueBuffers>("sendQueueBuffers"),
                         InstanceMethod<&UdpSocket::SetDestination>("setDestination"),
                         InstanceMethod<&UdpSocket::FlushSends>("flushSends"),
                     });
}

UdpSocket::UdpSocket(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<UdpSocket>(info), family_(AF_INET), batch_size_(0), max_packet_(0) {
  Napi::Env env = info.Env();
  std::memset(dummy_stats_, 0, sizeof(dummy_stats_));
  std::memset(dummy_stamp_, 0, sizeof(dummy_stamp_));
  stats_ = dummy_stats_;
  stamp_ = dummy_stamp_;
  tx_count_ = &dummy_tx_count_;
  sq_count_ = &dummy_sq_word_[0];
  sq_refused_ = &dummy_sq_word_[1];
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() ||
      !info[3].IsFunction() || !info[4].IsFunction()) {
    Napi::TypeError::New(env, "UdpSocket(family, batchSize, maxPacketSize, onBatch, onError)")
        .ThrowAsJavaScriptException();
    closed_ = true;
    return;
  }
  const int32_t family = IntArg(info, 0, 0);
  const int32_t batch = IntArg(info, 1, 0);
  const int32_t max_packet = IntArg(info, 2, 0);
  if ((family != 4 && family != 6) || batch < kMinBatch || batch > kMaxBatch || max_packet < kMinPacket ||
      max_packet > kMaxPacket) {
    Napi::RangeError::New(env, "UdpSocket: family 4|6, batchSize 1-1024, maxPacketSize 64-65535")
        .ThrowAsJavaScriptException();
    closed_ = true;
    return;
  }
  family_ = family == 6 ? AF_INET6 : AF_INET;
  batch_size_ = batch;
  max_packet_ = static_cast<size_t>(max_packet);

  shared_receive_ = IntArg(info, 5, 0) != 0;
  rx_ = AcquireReceiveArea(env, batch_size_, max_packet_, shared_receive_);
  if (rx_ == nullptr) { closed_ = true; return; }
  Napi::ArrayBuffer ctl = Napi::ArrayBuffer::New(env, kCtlBytes);
  if (env.IsExceptionPending()) { closed_ = true; return; }
  stats_ = static_cast<double*>(ctl.Data());
  stamp_ = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ctl.Data()) + kStampByteOffset);
  ctl_ref_ = Napi::Persistent(ctl);
  on_batch_ = Napi::Persistent(info[3].As<Napi::Function>());
  on_error_ = Napi::Persistent(info[4].As<Napi::Function>());

  tx_count_ = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(ctl.Data()) + kTxCountByteOffset);
  sq_count_ = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(ctl.Data()) + kSendCountByteOffset);
  sq_refused_ = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(ctl.Data()) + kSendRefusedByteOffset);
}

ReceiveArea::ReceiveArea(Napi::Env env, int batch, size_t max_packet_size)
    : batch_size(batch), max_packet(max_packet_size) {
  // JavaScript-owned memory: V8 never moves an ArrayBuffer's backing store, and the references
  // below keep it alive while the addon writes into it.
  const size_t n = static_cast<size_t>(batch_size);
  Napi::ArrayBuffer slab_buffer = Napi::ArrayBuffer::New(env, n * max_packet);
  if (env.IsExceptionPending()) return;
  Napi::ArrayBuffer meta_buffer = Napi::ArrayBuffer::New(env, n * kMetaStride * sizeof(int32_t));
  if (env.IsExceptionPending()) return;
  slab_ref = Napi::Persistent(slab_buffer);
  meta_ref = Napi::Persistent(meta_buffer);
  meta = static_cast<int32_t*>(meta_buffer.Data());
  dirty = batch_size;
  msgs.assign(n, mmsghdr{});
  iov.assign(n, iovec{});
  names.assign(n, sockaddr_storage{});
  control.assign(n * kRxControlBytes / sizeof(uint64_t), 0);
  reply_from.assign(n, ReplySource{});
  uint8_t* base = static_cast<uint8_t*>(slab_buffer.Data());
  for (size_t i = 0; i < n; ++i) {
    iov[i].iov_base = base + i * max_packet;
    iov[i].iov_len = max_packet;
    msghdr& header = msgs[i].msg_hdr;
    header.msg_name = &names[i];
    header.msg_iov = &iov[i];
    header.msg_iovlen = 1;
    header.msg_control = reinterpret_cast<uint8_t*>(control.data()) + i * kRxControlBytes;
  }
  slab = base;  // last: ok() means complete
}

std::shared_ptr<ReceiveArea> UdpSocket::AcquireReceiveArea(Napi::Env env, int batch_size, size_t max_packet,
                                                           bool shared) {
  AddonData* data = shared ? env.GetInstanceData<AddonData>() : nullptr;
  if (data != nullptr) {
    auto& areas = data->shared_areas;
    for (auto it = areas.begin(); it != areas.end();) {
      std::shared_ptr<ReceiveArea> area = it->lock();
      if (area == nullptr) {
        it = areas.erase(it);  // every socket of that size has closed
        continue;
      }
      if (area->batch_size == batch_size && area->max_packet == max_packet) return area;
      ++it;
    }
  }
  auto area = std::make_shared<ReceiveArea>(env, batch_size, max_packet);
  if (!area->ok()) return nullptr;
  if (data != nullptr) data->shared_areas.push_back(area);
  return area;
}

UdpSocket::~UdpSocket() {
  // Reached from the garbage collector (only after close(): an open socket holds a strong
  // reference to its wrapper) or from environment teardown.
  in_destructor_ = true;
  CloseNow(nullptr);
}

// ---------------------------------------------------------------------------------------------
// Setup

Napi::Value UdpSocket::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, -EBADF);
  if (fd_ >= 0) return Napi::Number::New(env, -EALREADY);
  const int fd = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return Napi::Number::New(env, -errno);
  int rc = 0;
  if (family_ == AF_INET6) {
    // One family per socket: an IPv6 socket never sees IPv4-mapped traffic, so addresses,
    // TTL/TOS options and ancillary data always come in one shape.
    if (rc == 0) rc = SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (rc == 0) rc = SetInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    if (rc == 0) rc = SetInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    if (rc == 0) rc = SetInt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
  } else {
    if (rc == 0) rc = SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1);
    if (rc == 0) rc = SetInt(fd, IPPROTO_IP, IP_RECVTTL, 1);
    if (rc == 0) rc = SetInt(fd, IPPROTO_IP, IP_RECVTOS, 1);
  }
  // Software receive timestamps: taken when the packet enters the stack, so time spent
  // waiting for the event loop does not count as network delay.
  if (rc == 0) rc = SetInt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  if (rc != 0) {
    ::close(fd);
    return Napi::Number::New(env, rc);
  }
  fd_ = fd;
  return Napi::Number::New(env, 0);
}

Napi::Value UdpSocket::SetOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  const int32_t option = IntArg(info, 0, 0);
  const int32_t value = IntArg(info, 1, 0);
  const bool v6 = family_ == AF_INET6;
  int rc = -EINVAL;
  switch (option) {
    case kOptReuseAddress:
      rc = SetInt(fd_, SOL_SOCKET, SO_REUSEADDR, value != 0 ? 1 : 0);
      break;
    case kOptReceiveBuffer:
      // With CAP_NET_ADMIN the FORCE variant may exceed net.core.rmem_max; everyone else gets
      // SO_RCVBUF, which the kernel caps silently (that is the documented behaviour).
      rc = SetInt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, value);
      if (rc != 0) rc = SetInt(fd_, SOL_SOCKET, SO_RCVBUF, value);
      break;
    case kOptSendBuffer:
      rc = SetInt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, value);
      if (rc != 0) rc = SetInt(fd_, SOL_SOCKET, SO_SNDBUF, value);
      break;
    case kOptTtl:
      rc = v6 ? SetInt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, value) : SetInt(fd_, IPPROTO_IP, IP_TTL, value);
      break;
    case kOptTos:
      rc = v6 ? SetInt(fd_, IPPROTO_IPV6, IPV6_TCLASS, value) : SetInt(fd_, IPPROTO_IP, IP_TOS, value);
      break;
    case kOptDontFragment:
      // Off means "never set DF" (not the kernel's default of "want"), so a measurement sees
      // the same packets whatever the path MTU cache holds.
      rc = v6 ? SetInt(fd_, IPPROTO_IPV6, IPV6_DONTFRAG, value != 0 ? 1 : 0)
              : SetInt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, value != 0 ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
      break;
    default:
      break;
  }
  return Napi::Number::New(env, rc);
}

Napi::Value UdpSocket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  std::string address;
  sockaddr_storage local;
  socklen_t length = 0;
  if (!StringArg(info, 0, &address) || !ParseEndpoint(family_, address, IntArg(info, 1, -1), &local, &length)) {
    return Napi::Number::New(env, -EINVAL);
  }
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), length) != 0) return Napi::Number::New(env, -errno);
  // Bound to one address, replies leave from it anyway: skip the per-reply IP(V6)_PKTINFO and
  // the source check it costs the kernel. Only a wildcard socket has to pick the source.
  if (family_ == AF_INET6) {
    reply_from_arrival_ = IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
  } else {
    reply_from_arrival_ = reinterpret_cast<sockaddr_in*>(&local)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return Napi::Number::New(env, 0);
}

Napi::Value UdpSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || fd_ < 0) return Napi::Number::New(env, -EBADF);
  if (started_) return Napi::Number::New(env, 0);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Napi::Number::New(env, -EINVAL);
  auto* box = new PollBox();
  box->owner = this;
  box->teardown = nullptr;
  box->handle.data = box;
  int rc = uv_poll_init_socket(loop, &box->handle, fd_);
  if (rc != 0) {
    delete box;  // uv_poll_init failed before registering the handle with the loop
    return Napi::Number::New(env, rc);
  }
  rc = uv_poll_start(&box->handle, UV_READABLE, OnPoll);
  if (rc != 0) {
    box->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&box->handle), OnHandleClosed);
    return Napi::Number::New(env, rc);
  }
  box_ = box;
  // Environment teardown (a worker ending, the process exiting) closes the handle and lets
  // Node.js finish only after libuv has released it.
  if (napi_add_async_cleanup_hook(env, OnEnvironmentTeardown, this, &teardown_hook_) != napi_ok) {
    teardown_hook_ = nullptr;
  }
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "TwampUdpSocket", Value());
  // An open socket is reachable from the loop, like a node:dgram socket: it stays alive until
  // close(), even when JavaScript drops every reference to it.
  Ref();
  started_ = true;
  return Napi::Number::New(env, 0);
}

Napi::Value UdpSocket::LocalAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  sockaddr_storage local;
  socklen_t length = sizeof(local);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0) return Napi::Number::New(env, -errno);
  char text[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (local.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&local);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    port = ntohs(sin->sin_port);
  } else if (local.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&local);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    port = ntohs(sin6->sin6_port);
  } else {
    return Napi::Number::New(env, -EAFNOSUPPORT);
  }
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::String::New(env, text));
  result.Set(1u, Napi::Number::New(env, port));
  return result;
}

Napi::Value UdpSocket::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  std::string address;
  sockaddr_storage remote;
  socklen_t length = 0;
  if (!StringArg(info, 0, &address) || !ParseEndpoint(family_, address, IntArg(info, 1, -1), &remote, &length)) {
    return Napi::Number::New(env, -EINVAL);
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&remote), length) != 0) return Napi::Number::New(env, -errno);
  connected_peer_ = remote;
  connected_ = true;
  return Napi::Number::New(env, 0);
}

Napi::Value UdpSocket::SetPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string address;
  if (!StringArg(info, 0, &address) || !ParseEndpoint(family_, address, IntArg(info, 1, -1), &peer_, &peer_length_)) {
    peer_length_ = 0;
    return Napi::Number::New(env, -EINVAL);
  }
  return Napi::Number::New(env, 0);
}

// ---------------------------------------------------------------------------------------------
// Send path

size_t UdpSocket::BuildControl(uint8_t* control, const ReplySource* from, int ttl, int tos) const {
  size_t used = 0;
  if (family_ == AF_INET6) {
    if (from != nullptr) {
      in6_pktinfo info{};
      info.ipi6_addr = from->v6;
      info.ipi6_ifindex = from->ifindex;
      used = AppendControl(control, used, IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof(info));
    }
    if (ttl >= 0) used = AppendControl(control, used, IPPROTO_IPV6, IPV6_HOPLIMIT, &ttl, sizeof(ttl));
    if (tos >= 0) used = AppendControl(control, used, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
  } else {
    if (from != nullptr) {
      // ipi_spec_dst picks the source address; ifindex 0 leaves the route lookup alone.
      in_pktinfo info{};
      info.ipi_ifindex = 0;
      info.ipi_spec_dst = from->v4;
      used = AppendControl(control, used, IPPROTO_IP, IP_PKTINFO, &info, sizeof(info));
    }
    if (ttl >= 0) used = AppendControl(control, used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    if (tos >= 0) used = AppendControl(control, used, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  }
  return used;
}

void UdpSocket::StoreStamp(NtpStamp stamp) {
  stamp_[0] = stamp.seconds;
  stamp_[1] = stamp.fraction;
}

int UdpSocket::SendDirect(uint8_t* data, size_t length, const sockaddr* to, socklen_t to_length,
                          const ReplySource* from, int stamp_offset, bool stamp_in_place, int ttl, int tos) {
  // Three pieces when the stamp must not touch the caller's bytes: before, stamp, after.
  uint8_t stamp_bytes[8];
  iovec iov[3];
  size_t pieces = 1;
  iov[0].iov_base = data;
  iov[0].iov_len = length;
  if (stamp_offset >= 0 && !stamp_in_place) {
    const size_t offset = static_cast<size_t>(stamp_offset);
    iov[0].iov_len = offset;
    iov[1].iov_base = stamp_bytes;
    iov[1].iov_len = 8;
    iov[2].iov_base = data + offset + 8;
    iov[2].iov_len = length - offset - 8;
    pieces = 3;
  }
  msghdr header{};
  header.msg_name = const_cast<sockaddr*>(to);
  header.msg_namelen = to == nullptr ? 0 : to_length;
  header.msg_iov = iov;
  header.msg_iovlen = pieces;
  alignas(cmsghdr) uint8_t control[kTxControlBytes];
  const size_t used = BuildControl(control, from, ttl, tos);
  if (used > 0) {
    header.msg_control = control;
    header.msg_controllen = used;
  }
  if (stamp_offset >= 0) {
    // As late as possible: nothing but the system call lies between the clock and the wire.
    const NtpStamp stamp = NtpNow();
    PutNtp(stamp_in_place ? data + stamp_offset : stamp_bytes, stamp);
    StoreStamp(stamp);
  }
  ssize_t sent;
  do {
    sent = sendmsg(fd_, &header, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent >= 0) {
    stats_[kStatPacketsSent] += 1;
    stats_[kStatBytesSent] += static_cast<double>(sent);
    return 1;
  }
  const int error = errno;
  if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
    stats_[kStatSendDropped] += 1;
    return 0;
  }
  return -error;
}

Napi::Value UdpSocket::Send(const Napi::CallbackInfo& info) {
  // send(data, length, toPeer, stampOffset, ttl, tos) → 1 sent, 0 dropped (buffer full), -errno
  Napi::Env env = info.Env();
  if (closed_ || fd_ < 0) return Napi::Number::New(env, -EBADF);
  uint8_t* data = nullptr;
  size_t available = 0;
  if (info.Length() < 1 || !GetBytes(env, info[0], &data, &available)) return Napi::Number::New(env, -EINVAL);
  const int32_t length = IntArg(info, 1, -1);
  const int32_t to_peer = IntArg(info, 2, 0);
  const int32_t stamp_offset = IntArg(info, 3, -1);
  const int32_t ttl = IntArg(info, 4, -1);
  const int32_t tos = IntArg(info, 5, -1);
  if (length < 0 || static_cast<size_t>(length) > available) return Napi::Number::New(env, -EINVAL);
  if (stamp_offset >= 0 && static_cast<int64_t>(stamp_offset) + 8 > length) return Napi::Number::New(env, -EINVAL);
  if (ttl > 255 || tos > 255) return Napi::Number::New(env, -EINVAL);
  const sockaddr* to = nullptr;
  if (to_peer != 0) {
    if (peer_length_ == 0) return Napi::Number::New(env, -EDESTADDRREQ);
    to = reinterpret_cast<const sockaddr*>(&peer_);
  }
  // send() writes the stamp into the caller's packet (the contract's "at this offset of the
  // packet"); reply() never touches the caller's bytes.
  const int rc = SendDirect(data, static_cast<size_t>(length), to, peer_length_, nullptr, stamp_offset, true, ttl, tos);
  return Napi::Number::New(env, rc);
}

void* UdpSocket::SharedBuffer(napi_env env, size_t bytes, Napi::Reference<Napi::ArrayBuffer>* ref) {
  // JavaScript-owned memory the addon also writes: kept alive by `ref` until close; null on failure.
  napi_value buffer;
  void* data = nullptr;
  if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) return nullptr;
  *ref = Napi::Persistent(Napi::ArrayBuffer(env, buffer));
  return data;
}

bool UdpSocket::EnsureTransmitBuffers(napi_env env) {
  if (tx_slab_ != nullptr) return true;
  if (closed_) return false;
  // The reply queue lives in JavaScript-owned memory: reply() in JavaScript copies the octets
  // into a slot and describes them in tx_meta_, so queueing a reply never crosses into the
  // addon. Allocated on the first reply (senders never need it).
  const size_t n = static_cast<size_t>(batch_size_);
  void* slab_data = SharedBuffer(env, n * max_packet_, &tx_slab_ref_);
  void* meta_data = SharedBuffer(env, n * kTxStride * sizeof(int32_t), &tx_meta_ref_);
  if (slab_data == nullptr || meta_data == nullptr) return false;
  tx_slab_ = static_cast<uint8_t*>(slab_data);
  tx_meta_ = static_cast<int32_t*>(meta_data);
  tx_msgs_.assign(n, mmsghdr{});
  tx_iov_.assign(n, iovec{});
  tx_control_.assign(n * kTxControlBytes / sizeof(uint64_t), 0);
  for (size_t q = 0; q < n; ++q) {
    tx_iov_[q].iov_base = tx_slab_ + q * max_packet_;
    tx_msgs_[q].msg_hdr.msg_iov = &tx_iov_[q];
    tx_msgs_[q].msg_hdr.msg_iovlen = 1;
  }
  return true;
}

Napi::Value UdpSocket::ReplyBuffers(const Napi::CallbackInfo& info) {
  // [send slab, send metadata]; empty when closed.
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env, 0);
  if (closed_ || !EnsureTransmitBuffers(env)) return result;
  result.Set(0u, tx_slab_ref_.Value());
  result.Set(1u, tx_meta_ref_.Value());
  return result;
}

const ReplySource* UdpSocket::ReplyFrom(int index) const {
  const ReplySource& source = rx_->reply_from[static_cast<size_t>(index)];
  return source.known && reply_from_arrival_ ? &source : nullptr;
}

int UdpSocket::QueueReply(int index, const uint8_t* data, size_t length, int stamp_offset, int ttl, int tos) {
  if (length > max_packet_) {
    // Larger than a slot: send it now, behind what is queued, so replies keep their order.
    FlushReplies();
    const msghdr& received = rx_->msgs[static_cast<size_t>(index)].msg_hdr;
    return SendDirect(const_cast<uint8_t*>(data), length, static_cast<const sockaddr*>(received.msg_name),
                      received.msg_namelen, ReplyFrom(index), stamp_offset, false, ttl, tos);
  }
  if (*tx_count_ >= batch_size_ || *tx_count_ < 0) FlushReplies();
  // The same entry JavaScript writes when it queues a reply itself.
  const size_t q = static_cast<size_t>((*tx_count_)++);
  if (length > 0) std::memcpy(tx_slab_ + q * max_packet_, data, length);
  int32_t* entry = tx_meta_ + q * kTxStride;
  entry[kTxIndex] = index;
  entry[kTxLength] = static_cast<int32_t>(length);
  entry[kTxStampOffset] = stamp_offset;
  entry[kTxTtl] = ttl;
  entry[kTxTos] = tos;
  return 1;
}

Napi::Value UdpSocket::Reply(const Napi::CallbackInfo& info) {
  // reply(index, data, length, stampOffset, ttl, tos) → 1 queued or sent, 0 dropped, -errno.
  // JavaScript queues replies that fit a slot itself; this path remains for larger ones.
  Napi::Env env = info.Env();
  if (closed_ || fd_ < 0) return Napi::Number::New(env, -EBADF);
  const int32_t index = IntArg(info, 0, -1);
  if (!dispatching_ || index < 0 || index >= current_count_) return Napi::Number::New(env, -EINVAL);
  uint8_t* data = nullptr;
  size_t available = 0;
  if (info.Length() < 2 || !GetBytes(env, info[1], &data, &available)) return Napi::Number::New(env, -EINVAL);
  const int32_t length = IntArg(info, 2, -1);
  const int32_t stamp_offset = IntArg(info, 3, -1);
  const int32_t ttl = IntArg(info, 4, -1);
  const int32_t tos = IntArg(info, 5, -1);
  if (length < 0 || static_cast<size_t>(length) > available) return Napi::Number::New(env, -EINVAL);
  if (stamp_offset >= 0 && static_cast<int64_t>(stamp_offset) + 8 > length) return Napi::Number::New(env, -EINVAL);
  if (ttl > 255 || tos > 255) return Napi::Number::New(env, -EINVAL);
  if (!EnsureTransmitBuffers(env)) return Napi::Number::New(env, -ENOMEM);
  return Napi::Number::New(env, QueueReply(index, data, static_cast<size_t>(length), stamp_offset, ttl, tos));
}

void UdpSocket::FlushReplies() {
  int32_t queued = *tx_count_;
  *tx_count_ = 0;
  if (queued <= 0 || fd_ < 0 || tx_slab_ == nullptr || rx_ == nullptr) return;
  if (queued > batch_size_) queued = batch_size_;  // the metadata is shared memory: never trust it blindly
  // Entries are written by JavaScript: each is checked against the batch it answers (whose
  // receive slots stay untouched until the next recvmmsg(), which always comes after this).
  int count = 0;
  int invalid = 0;
  bool stamped = false;
  NtpStamp stamp{0, 0};
  for (int q = 0; q < queued; ++q) {
    const int32_t* entry = tx_meta_ + static_cast<size_t>(q) * kTxStride;
    const int32_t index = entry[kTxIndex];
    const int32_t length = entry[kTxLength];
    const int32_t offset = entry[kTxStampOffset];
    const int32_t ttl = entry[kTxTtl];
    const int32_t tos = entry[kTxTos];
    if (index < 0 || index >= reply_count_ || length < 0 || static_cast<size_t>(length) > max_packet_ ||
        (offset >= 0 && static_cast<int64_t>(offset) + 8 > length) || ttl > 255 || tos > 255) {
      ++invalid;
      continue;
    }
    // Slot q holds the octets; message `count` (≤ q) points at it.
    const size_t m = static_cast<size_t>(count++);
    uint8_t* slot = tx_slab_ + static_cast<size_t>(q) * max_packet_;
    tx_iov_[m].iov_base = slot;
    tx_iov_[m].iov_len = static_cast<size_t>(length);
    msghdr& header = tx_msgs_[m].msg_hdr;
    const msghdr& received = rx_->msgs[static_cast<size_t>(index)].msg_hdr;
    header.msg_name = received.msg_name;
    header.msg_namelen = received.msg_namelen;
    const ReplySource* from = ReplyFrom(index);
    if (from != nullptr || ttl >= 0 || tos >= 0) {
      auto* control = reinterpret_cast<uint8_t*>(tx_control_.data()) + m * kTxControlBytes;
      const size_t used = BuildControl(control, from, ttl, tos);
      header.msg_control = used > 0 ? control : nullptr;
      header.msg_controllen = used;
    } else {
      header.msg_control = nullptr;
      header.msg_controllen = 0;
    }
    header.msg_flags = 0;
    tx_msgs_[m].msg_len = 0;
    if (offset >= 0) {
      // One clock read for the whole sendmmsg() that follows, written into each stamped reply.
      if (!stamped) {
        stamp = NtpNow();
        stamped = true;
      }
      PutNtp(slot + offset, stamp);
    }
  }
  if (invalid > 0) stats_[kStatSendDropped] += invalid;
  if (stamped) StoreStamp(stamp);
  int start = 0;
  bool retried_stale_error = false;
  while (start < count) {
    const int sent = sendmmsg(fd_, &tx_msgs_[static_cast<size_t>(start)], static_cast<unsigned>(count - start), 0);
    if (sent > 0) {
      double bytes = 0;
      for (int i = start; i < start + sent; ++i) bytes += static_cast<double>(tx_msgs_[static_cast<size_t>(i)].msg_len);
      stats_[kStatBytesSent] += bytes;
      stats_[kStatPacketsSent] += sent;
      start += sent;
      continue;
    }
    if (sent == 0) break;  // not expected from the kernel; never loop on it
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      // The send buffer is full: the rest would fail the same way. Counted, not reported.
      stats_[kStatSendDropped] += count - start;
      break;
    }
    const auto* to = static_cast<const sockaddr*>(tx_msgs_[static_cast<size_t>(start)].msg_hdr.msg_name);
    if (error == ECONNREFUSED && !retried_stale_error) {
      // A pending ICMP error from earlier traffic (connected sockets only), returned by this
      // call and cleared: report it, then try the same message again.
      RecordError(error, "send", connected_ ? PeerEndpoint() : FormatEndpoint(to));
      retried_stale_error = true;
      continue;
    }
    RecordError(error, "reply", FormatEndpoint(to));
    start += 1;
  }
}

Napi::Value UdpSocket::Flush(const Napi::CallbackInfo& info) {
  if (!closed_) FlushReplies();
  return info.Env().Undefined();
}

Napi::Value UdpSocket::StampNow(const Napi::CallbackInfo& info) {
  // The clock of every stamp this socket writes; after close the stamp goes to the dummy.
  StoreStamp(NtpNow());
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Send queue (queue() + flushSends())

bool UdpSocket::EnsureSendQueue(napi_env env) {
  if (sq_slab_ != nullptr) return true;
  if (closed_) return false;
  const size_t n = static_cast<size_t>(batch_size_);
  void* slab_data = SharedBuffer(env, n * max_packet_, &sq_slab_ref_);
  void* meta_data = SharedBuffer(env, n * kSendStride * sizeof(int32_t), &sq_meta_ref_);
  void* stamps_data = SharedBuffer(env, n * 2 * sizeof(uint32_t), &sq_stamps_ref_);
  void* results_data = SharedBuffer(env, n * sizeof(int32_t), &sq_results_ref_);
  if (slab_data == nullptr || meta_data == nullptr || stamps_data == nullptr || results_data == nullptr) return false;
  sq_slab_ = static_cast<uint8_t*>(slab_data);
  sq_meta_ = static_cast<int32_t*>(meta_data);
  sq_stamps_ = static_cast<uint32_t*>(stamps_data);
  sq_results_ = static_cast<int32_t*>(results_data);
  sq_msgs_.assign(n, mmsghdr{});
  sq_iov_.assign(n, iovec{});
  sq_control_.assign(n * kTxControlBytes / sizeof(uint64_t), 0);
  sq_entry_.assign(n, 0);
  dest_.assign(n, sockaddr_storage{});
  dest_length_.assign(n, 0);
  for (size_t m = 0; m < n; ++m) {
    sq_msgs_[m].msg_hdr.msg_iov = &sq_iov_[m];
    sq_msgs_[m].msg_hdr.msg_iovlen = 1;
  }
  return true;
}

Napi::Value UdpSocket::SendQueueBuffers(const Napi::CallbackInfo& info) {
  // [slab, metadata, stamps, results]; empty when closed.
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env, 0);
  if (closed_ || !EnsureSendQueue(env)) return result;
  result.Set(0u, sq_slab_ref_.Value());
  result.Set(1u, sq_meta_ref_.Value());
  result.Set(2u, sq_stamps_ref_.Value());
  result.Set(3u, sq_results_ref_.Value());
  return result;
}

Napi::Value UdpSocket::SetDestination(const Napi::CallbackInfo& info) {
  // setDestination(slot, address, port) → 0, or -EINVAL (bad slot or address). Parsed once per
  // destination; queued entries then name the slot.
  Napi::Env env = info.Env();
  if (closed_ || !EnsureSendQueue(env)) return Napi::Number::New(env, -EBADF);
  const int32_t slot = IntArg(info, 0, -1);
  if (slot < 0 || slot >= batch_size_) return Napi::Number::New(env, -EINVAL);
  std::string address;
  const auto s = static_cast<size_t>(slot);
  if (!StringArg(info, 1, &address) || !ParseEndpoint(family_, address, IntArg(info, 2, -1), &dest_[s], &dest_length_[s])) {
    dest_length_[s] = 0;
    return Napi::Number::New(env, -EINVAL);
  }
  return Napi::Number::New(env, 0);
}

int UdpSocket::FlushSendQueue() {
  int32_t queued = *sq_count_;
  *sq_count_ = 0;
  *sq_refused_ = 0;
  if (queued <= 0 || fd_ < 0 || sq_slab_ == nullptr) return 0;
  if (queued > batch_size_) queued = batch_size_;  // shared memory: never trust it blindly
  int count = 0;
  int invalid = 0;
  bool stamped = false;
  for (int q = 0; q < queued; ++q) {
    const int32_t* entry = sq_meta_ + static_cast<size_t>(q) * kSendStride;
    const int32_t destination = entry[kSendDestination];
    const int32_t length = entry[kSendLength];
    const int32_t offset = entry[kSendStampOffset];
    const int32_t ttl = entry[kSendTtl];
    const int32_t tos = entry[kSendTos];
    sq_stamps_[2 * q] = 0;
    sq_stamps_[2 * q + 1] = 0;
    if (destination < -1 || destination >= batch_size_ ||
        (destination >= 0 && dest_length_[static_cast<size_t>(destination)] == 0) || length < 0 ||
        static_cast<size_t>(length) > max_packet_ || (offset >= 0 && static_cast<int64_t>(offset) + 8 > length) ||
        ttl > 255 || tos > 255) {
      sq_results_[q] = -EINVAL;
      ++invalid;
      continue;
    }
    sq_results_[q] = 0;  // until the kernel takes it
    const size_t m = static_cast<size_t>(count++);
    sq_entry_[m] = q;
    sq_iov_[m].iov_base = sq_slab_ + static_cast<size_t>(q) * max_packet_;
    sq_iov_[m].iov_len = static_cast<size_t>(length);
    msghdr& header = sq_msgs_[m].msg_hdr;
    if (destination >= 0) {
      header.msg_name = &dest_[static_cast<size_t>(destination)];
      header.msg_namelen = dest_length_[static_cast<size_t>(destination)];
    } else {
      header.msg_name = nullptr;
      header.msg_namelen = 0;
    }
    if (ttl >= 0 || tos >= 0) {
      auto* control = reinterpret_cast<uint8_t*>(sq_control_.data()) + m * kTxControlBytes;
      const size_t used = BuildControl(control, nullptr, ttl, tos);
      header.msg_control = used > 0 ? control : nullptr;
      header.msg_controllen = used;
    } else {
      header.msg_control = nullptr;
      header.msg_controllen = 0;
    }
    header.msg_flags = 0;
    sq_msgs_[m].msg_len = 0;
    if (offset >= 0) stamped = true;
  }
  if (invalid > 0) stats_[kStatSendDropped] += invalid;
  if (stamped) {
    // One clock read for the whole batch, as late as possible: every stamped packet carries the
    // time of the sendmmsg() that follows (the T1 of a batch is the time of its system call).
    const NtpStamp stamp = NtpNow();
    for (int m = 0; m < count; ++m) {
      const int q = sq_entry_[static_cast<size_t>(m)];
      const int32_t offset = sq_meta_[static_cast<size_t>(q) * kSendStride + kSendStampOffset];
      if (offset < 0) continue;
      PutNtp(sq_slab_ + static_cast<size_t>(q) * max_packet_ + offset, stamp);
      sq_stamps_[2 * q] = stamp.seconds;
      sq_stamps_[2 * q + 1] = stamp.fraction;
    }
    StoreStamp(stamp);
  }
  int start = 0;
  int total = 0;
  bool retried_stale_error = false;
  while (start < count) {
    const int sent = sendmmsg(fd_, &sq_msgs_[static_cast<size_t>(start)], static_cast<unsigned>(count - start), 0);
    if (sent > 0) {
      double bytes = 0;
      for (int i = start; i < start + sent; ++i) {
        bytes += static_cast<double>(sq_msgs_[static_cast<size_t>(i)].msg_len);
        sq_results_[sq_entry_[static_cast<size_t>(i)]] = 1;
      }
      stats_[kStatBytesSent] += bytes;
      stats_[kStatPacketsSent] += sent;
      total += sent;
      start += sent;
      continue;
    }
    if (sent == 0) break;  // not expected from the kernel; never loop on it
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      // The send buffer is full: the rest would fail the same way (their results stay 0).
      stats_[kStatSendDropped] += count - start;
      break;
    }
    if (error == ECONNREFUSED && !retried_stale_error) {
      // A pending ICMP error drawn by earlier traffic of a connected socket, returned by this
      // call and cleared: JavaScript reports it (as send() does), and the message gets its own try.
      *sq_refused_ = 1;
      retried_stale_error = true;
      continue;
    }
    sq_results_[sq_entry_[static_cast<size_t>(start)]] = -error;
    start += 1;
  }
  return total;
}

Napi::Value UdpSocket::FlushSends(const Napi::CallbackInfo& info) {
  // flushSends() → packets the kernel took; per-entry outcomes and stamps in the shared arrays.
  const int sent = closed_ ? 0 : FlushSendQueue();
  return Napi::Number::New(info.Env(), sent);
}

// ---------------------------------------------------------------------------------------------
// Receive path

void UdpSocket::PrepareReceive() {
  // recvmmsg() overwrites these per message it fills (only those): everything else was set up
  // once, so only the slots of the last batch need resetting.
  ReceiveArea& rx = *rx_;
  const int dirty = rx.dirty;
  rx.dirty = 0;
  for (int i = 0; i < dirty; ++i) {
    msghdr& header = rx.msgs[static_cast<size_t>(i)].msg_hdr;
    header.msg_namelen = sizeof(sockaddr_storage);
    header.msg_controllen = kRxControlBytes;
    header.msg_flags = 0;
  }
}

void UdpSocket::ParseControl(int index, msghdr* header, int32_t* meta, bool* kernel_time) {
  ReplySource& reply = rx_->reply_from[static_cast<size_t>(index)];
  int32_t flags = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(header); c != nullptr; c = CMSG_NXTHDR(header, c)) {
    const uint8_t* data = CMSG_DATA(c);
    const size_t payload = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      // 64-bit time_t: two 8-octet fields; a 32-bit time_t ABI: two 4-octet fields.
      int64_t seconds = 0;
      int64_t nanos = 0;
      if (payload >= 16) {
        std::memcpy(&seconds, data, 8);
        std::memcpy(&nanos, data + 8, 8);
      } else if (payload >= 8) {
        int32_t s32 = 0;
        int32_t n32 = 0;
        std::memcpy(&s32, data, 4);
        std::memcpy(&n32, data + 4, 4);
        seconds = s32;
        nanos = n32;
      } else {
        continue;
      }
      meta[kMetaSecondsLow] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(seconds)));
      meta[kMetaSecondsHigh] = static_cast<int32_t>(seconds >> 32);
      meta[kMetaNanos] = static_cast<int32_t>(nanos);
      *kernel_time = true;
    } else if (c->cmsg_level == IPPROTO_IP) {
      if (c->cmsg_type == IP_PKTINFO && payload >= sizeof(in_pktinfo)) {
        in_pktinfo info;
        std::memcpy(&info, data, sizeof(info));
        std::memcpy(meta + kMetaLocal, &info.ipi_addr, 4);
        flags |= kFlagLocalKnown;
        // ipi_spec_dst is the local address the kernel would answer from: the destination for
        // unicast, the interface address when the packet was sent to a broadcast address.
        reply.known = true;
        reply.v4 = info.ipi_spec_dst;
        reply.ifindex = 0;
      } else if (c->cmsg_type == IP_TTL && payload >= sizeof(int)) {
        int value = 0;
        std::memcpy(&value, data, sizeof(value));
        meta[kMetaTtl] = value;
      } else if (c->cmsg_type == IP_TOS && payload >= 1) {
        meta[kMetaTos] = data[0];  // IP_RECVTOS delivers one octet
      }
    } else if (c->cmsg_level == IPPROTO_IPV6) {
      if (c->cmsg_type == IPV6_PKTINFO && payload >= sizeof(in6_pktinfo)) {
        in6_pktinfo info;
        std::memcpy(&info, data, sizeof(info));
        std::memcpy(meta + kMetaLocal, &info.ipi6_addr, 16);
        flags |= kFlagLocalKnown | kFlagLocalV6;
        reply.known = true;
        if (IN6_IS_ADDR_MULTICAST(&info.ipi6_addr)) {
          reply.v6 = in6addr_any;  // never answer from a group address: let the kernel choose
          reply.ifindex = info.ipi6_ifindex;
        } else {
          reply.v6 = info.ipi6_addr;
          // Link-local source addresses only mean something with their interface.
          reply.ifindex = IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr) ? info.ipi6_ifindex : 0;
        }
      } else if (c->cmsg_type == IPV6_HOPLIMIT && payload >= sizeof(int)) {
        int value = 0;
        std::memcpy(&value, data, sizeof(value));
        meta[kMetaTtl] = value;
      } else if (c->cmsg_type == IPV6_TCLASS && payload >= sizeof(int)) {
        int value = 0;
        std::memcpy(&value, data, sizeof(value));
        meta[kMetaTos] = value;
      }
    }
  }
  meta[kMetaFlags] |= flags;
}

int32_t UdpSocket::FillMeta(int count) {
  int32_t batch_flags = kBatchKernelTime;
  bool have_now = false;
  timespec now{};
  double bytes = 0;
  for (int i = 0; i < count; ++i) {
    mmsghdr& message = rx_->msgs[static_cast<size_t>(i)];
    int32_t* meta = rx_->meta + static_cast<size_t>(i) * kMetaStride;
    std::memset(meta, 0, kMetaStride * sizeof(int32_t));
    size_t length = message.msg_len;
    if (length > max_packet_) length = max_packet_;
    int32_t flags = 0;
    if ((message.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
      flags |= kFlagTruncated;
      stats_[kStatTruncated] += 1;
    }
    meta[kMetaLength] = static_cast<int32_t>(length);
    meta[kMetaTtl] = -1;
    meta[kMetaTos] = -1;
    const auto* name = static_cast<const sockaddr*>(message.msg_hdr.msg_name);
    const socklen_t name_length = message.msg_hdr.msg_namelen;
    if (name->sa_family == AF_INET && name_length >= sizeof(sockaddr_in)) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(name);
      std::memcpy(meta + kMetaSource, &sin->sin_addr, 4);
      meta[kMetaPort] = ntohs(sin->sin_port);
    } else if (name->sa_family == AF_INET6 && name_length >= sizeof(sockaddr_in6)) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(name);
      if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
        std::memcpy(meta + kMetaSource, sin6->sin6_addr.s6_addr + 12, 4);
      } else {
        std::memcpy(meta + kMetaSource, &sin6->sin6_addr, 16);
        flags |= kFlagSourceV6;
      }
      meta[kMetaPort] = ntohs(sin6->sin6_port);
    }
    meta[kMetaFlags] = flags;
    rx_->reply_from[static_cast<size_t>(i)].known = false;
    bool kernel_time = false;
    ParseControl(i, &message.msg_hdr, meta, &kernel_time);
    if (kernel_time) {
      meta[kMetaFlags] |= kFlagKernelTime;
    } else {
      // No kernel timestamp (not expected with SO_TIMESTAMPNS): the time of delivery instead,
      // and the batch says so.
      if (!have_now) {
        clock_gettime(CLOCK_REALTIME, &now);
        have_now = true;
      }
      const int64_t seconds = now.tv_sec;
      meta[kMetaSecondsLow] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(seconds)));
      meta[kMetaSecondsHigh] = static_cast<int32_t>(seconds >> 32);
      meta[kMetaNanos] = static_cast<int32_t>(now.tv_nsec);
      batch_flags &= ~kBatchKernelTime;
    }
    bytes += static_cast<double>(length);
  }
  stats_[kStatPacketsReceived] += count;
  stats_[kStatBytesReceived] += bytes;
  stats_[kStatReceiveBatches] += 1;
  return batch_flags;
}

void UdpSocket::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* box = static_cast<PollBox*>(handle->data);
  if (box == nullptr || box->owner == nullptr) return;
  box->owner->OnReadable(status);
}

void UdpSocket::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // Keeps the wrapper alive through the callbacks even if one of them closes the socket.
  Napi::Object self = Value();
  if (status < 0) {
    // libuv reports POLLERR as an error and stops watching. For UDP it means a pending socket
    // error, e.g. ECONNREFUSED after an ICMP port unreachable on a connected socket: read
    // (and so clear) it, report it, and watch again.
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
      EmitError(error, "receive", PeerEndpoint());
      if (closed_) return;
    }
    const int rc = uv_poll_start(&box_->handle, UV_READABLE, OnPoll);
    if (rc != 0) {
      EmitError(-rc, "poll", std::string());
      return;
    }
  }
  for (int round = 0; round < kMaxRoundsPerWakeup; ++round) {
    if (closed_) return;
    PrepareReceive();
    const int count = recvmmsg(fd_, rx_->msgs.data(), static_cast<unsigned>(batch_size_), MSG_DONTWAIT, nullptr);
    if (count < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      // Returned once and cleared by the kernel; the round limit bounds anything persistent.
      EmitError(error, "receive", PeerEndpoint());
      continue;
    }
    if (count == 0) return;
    rx_->dirty = count;
    const int32_t batch_flags = FillMeta(count);
    current_count_ = count;
    reply_count_ = count;
    dispatching_ = true;
    napi_value args[2];
    napi_create_int32(env, count, &args[0]);
    napi_create_int32(env, batch_flags, &args[1]);
    // A handler that throws is the application's bug, not the socket's: it becomes an uncaught
    // exception (like a throwing 'message' listener on node:dgram), after the replies it queued
    // have been sent.
    napi_value exception = nullptr;
    const bool ran = CallIntoJs(on_batch_, self, 2, args, &exception);
    dispatching_ = false;
    current_count_ = 0;
    if (!ran) {
      StopPolling();
      return;
    }
    if (!closed_) FlushReplies();
    // A shared area is the next socket's once this returns: nothing may name its slots later.
    if (shared_receive_) reply_count_ = 0;
    if (!closed_) DeliverPendingErrors();
    if (exception != nullptr) {
      napi_fatal_exception(env, exception);
      return;
    }
    // A short batch means recvmmsg() emptied the queue: asking again would mostly cost a
    // system call that returns EAGAIN. The poll is level-triggered, so anything that arrived
    // while the callback ran wakes the loop again at once. A full batch means more is waiting.
    if (count < batch_size_) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

std::string UdpSocket::PeerEndpoint() const {
  return connected_ ? FormatEndpoint(reinterpret_cast<const sockaddr*>(&connected_peer_)) : std::string();
}

void UdpSocket::RecordError(int error, const char* operation, std::string endpoint) {
  if (pending_errors_.size() >= kMaxPendingErrors) return;  // bounded: a flood of one error says enough
  pending_errors_.push_back(PendingError{error, operation, std::move(endpoint)});
}

void UdpSocket::DeliverPendingErrors() {
  if (pending_errors_.empty()) return;
  std::vector<PendingError> errors;
  errors.swap(pending_errors_);
  for (const PendingError& e : errors) {
    if (closed_) return;
    EmitError(e.error, e.operation, e.endpoint);
  }
}

void UdpSocket::EmitError(int error, const char* operation, const std::string& endpoint) {
  // Only from the loop (no JavaScript on the stack), so a handler may close the socket.
  if (closed_ || on_error_.IsEmpty()) return;
  napi_env env = Env();
  Napi::HandleScope scope(Env());
  napi_value args[3];
  napi_create_int32(env, error, &args[0]);
  napi_create_string_utf8(env, operation, NAPI_AUTO_LENGTH, &args[1]);
  if (endpoint.empty()) {
    napi_get_undefined(env, &args[2]);
  } else {
    napi_create_string_utf8(env, endpoint.c_str(), endpoint.size(), &args[2]);
  }
  napi_value exception = nullptr;
  if (!CallIntoJs(on_error_, Value(), 3, args, &exception)) {
    StopPolling();
    return;
  }
  if (exception != nullptr) napi_fatal_exception(env, exception);
}

bool UdpSocket::CallIntoJs(const Napi::FunctionReference& function, napi_value receiver, size_t argc,
                           const napi_value* argv, napi_value* exception) {
  // Raw Node-API on purpose: node-addon-api turns a failed call into napi_throw, which aborts
  // the process when the environment can no longer run JavaScript (a worker being terminated).
  napi_env env = Env();
  napi_value callee = function.Value();
  napi_value result = nullptr;
  const napi_async_context context = async_context_ ? static_cast<napi_async_context>(*async_context_) : nullptr;
  ++js_depth_;
  const napi_status status = napi_make_callback(env, context, receiver, callee, argc, argv, &result);
  // The callee may have closed the socket: the async context it ran in goes only now.
  if (--js_depth_ == 0 && closed_) async_context_.reset();
  if (status == napi_ok) return true;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_get_and_clear_last_exception(env, exception);
    return true;
  }
  // Failed without an exception: JavaScript cannot run here any more (the environment is being
  // torn down). Its cleanup hook closes the socket; until then, stay quiet.
  return false;
}

void UdpSocket::StopPolling() {
  if (box_ != nullptr) uv_poll_stop(&box_->handle);
}

// ---------------------------------------------------------------------------------------------
// Close and teardown

Napi::Value UdpSocket::Close(const Napi::CallbackInfo& info) {
  CloseNow(nullptr);
  return info.Env().Undefined();
}

Napi::Value UdpSocket::Buffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env, 3);
  if (closed_ || rx_ == nullptr) return result;
  result.Set(0u, rx_->slab_ref.Value());
  result.Set(1u, rx_->meta_ref.Value());
  result.Set(2u, ctl_ref_.Value());
  return result;
}

void UdpSocket::OnEnvironmentTeardown(napi_async_cleanup_hook_handle hook, void* arg) {
  static_cast<UdpSocket*>(arg)->CloseNow(hook);
}

void UdpSocket::OnHandleClosed(uv_handle_t* handle) {
  auto* box = static_cast<PollBox*>(handle->data);
  // During teardown, Node.js waits for this before it tears the environment down.
  if (box->teardown != nullptr) napi_remove_async_cleanup_hook(box->teardown);
  delete box;
}

void UdpSocket::CloseNow(napi_async_cleanup_hook_handle teardown) {
  if (closed_ && box_ == nullptr && fd_ < 0) {
    if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);
    return;
  }
  closed_ = true;
  *tx_count_ = 0;
  tx_count_ = &dummy_tx_count_;
  tx_slab_ = nullptr;
  tx_meta_ = nullptr;
  reply_count_ = 0;
  // A queue not yet flushed is dropped with the socket: nothing is sent after close().
  *sq_count_ = 0;
  sq_count_ = &dummy_sq_word_[0];
  sq_refused_ = &dummy_sq_word_[1];
  sq_slab_ = nullptr;
  sq_meta_ = nullptr;
  sq_stamps_ = nullptr;
  sq_results_ = nullptr;
  if (box_ != nullptr) {
    // Stop first: libuv then forgets the descriptor, so closing it below is safe. The handle's
    // memory is freed in OnHandleClosed, once libuv is done with it.
    uv_poll_stop(&box_->handle);
    box_->owner = nullptr;
    box_->teardown = teardown;
    uv_close(reinterpret_cast<uv_handle_t*>(&box_->handle), OnHandleClosed);
    box_ = nullptr;
  } else if (teardown != nullptr) {
    napi_remove_async_cleanup_hook(teardown);
  }
  if (teardown == nullptr && teardown_hook_ != nullptr) napi_remove_async_cleanup_hook(teardown_hook_);
  teardown_hook_ = nullptr;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  // JavaScript-owned memory goes back to the garbage collector; nothing below writes to it again.
  stats_ = dummy_stats_;
  stamp_ = dummy_stamp_;
  if (!in_destructor_) {
    // In the destructor these go with the members; here they must go now so that a closed
    // socket holds no JavaScript memory.
    if (js_depth_ == 0) async_context_.reset();  // else when the running callback returns
    on_batch_.Reset();
    on_error_.Reset();
    ctl_ref_.Reset();
    tx_slab_ref_.Reset();
    tx_meta_ref_.Reset();
    sq_slab_ref_.Reset();
    sq_meta_ref_.Reset();
    sq_stamps_ref_.Reset();
    sq_results_ref_.Reset();
  }
  ReleaseBuffers();
  if (started_) {
    started_ = false;
    if (!in_destructor_) Unref();
  }
}

void UdpSocket::ReleaseBuffers() {
  // A shared area stays with the sockets still using it; the last one to let go frees it.
  rx_.reset();
  std::vector<mmsghdr>().swap(tx_msgs_);
  std::vector<iovec>().swap(tx_iov_);
  std::vector<uint64_t>().swap(tx_control_);
  std::vector<mmsghdr>().swap(sq_msgs_);
  std::vector<iovec>().swap(sq_iov_);
  std::vector<uint64_t>().swap(sq_control_);
  std::vector<int32_t>().swap(sq_entry_);
  std::vector<sockaddr_storage>().swap(dest_);
  std::vector<socklen_t>().swap(dest_length_);
  std::vector<PendingError>().swap(pending_errors_);
}

}  // namespace twamp_udp
