// The native UDP socket: a non-blocking descriptor polled by the libuv loop of its Node.js
// environment, recvmmsg()/sendmmsg() batches, ancillary data in and out, and kernel timestamps.
// Protocol logic stays in JavaScript: this moves bytes, addresses, TTL/TOS and timestamps.
#ifndef TWAMP_UDP_UDP_SOCKET_H_
#define TWAMP_UDP_UDP_SOCKET_H_

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net_util.h"

namespace twamp_udp {

class UdpSocket;

// What the reply path needs of each received packet: the local address to answer from.
struct ReplySource {
  bool known;
  unsigned ifindex;
  in_addr v4;     // ipi_spec_dst: the local address the kernel says the packet arrived on
  in6_addr v6;    // ipi6_addr: the destination address (unspecified for multicast)
};

// The receive side of a socket: the slab and metadata shared with JavaScript, and the mmsghdrs
// of recvmmsg() addressed into them. A socket owns one, or, opened with sharedReceive, uses the
// one of its environment for its (batch size, max packet) pair. Sharing is safe because a batch
// is only valid during its callback and sockets are read one at a time on the loop's thread:
// OnReadable() fills the area, calls JavaScript, sends the replies that name the area's source
// addresses, and returns before any other socket's OnReadable() can run. (JavaScript cannot
// re-enter the loop; a worker has its own environment and so its own areas.)
struct ReceiveArea {
  ReceiveArea(Napi::Env env, int batch_size, size_t max_packet);
  ReceiveArea(const ReceiveArea&) = delete;
  ReceiveArea& operator=(const ReceiveArea&) = delete;

  bool ok() const { return slab != nullptr; }

  const int batch_size;
  const size_t max_packet;
  Napi::Reference<Napi::ArrayBuffer> slab_ref;
  Napi::Reference<Napi::ArrayBuffer> meta_ref;
  uint8_t* slab = nullptr;
  int32_t* meta = nullptr;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> names;
  std::vector<uint64_t> control;   // uint64_t for cmsghdr alignment
  std::vector<ReplySource> reply_from;
  int dirty = 0;   // slots the last recvmmsg() filled (PrepareReceive resets them)
};

// Per environment (the main thread, each worker): the shared receive areas still in use.
struct AddonData {
  std::vector<std::weak_ptr<ReceiveArea>> shared_areas;
};

// The libuv handle lives in its own allocation: libuv keeps using it until the close callback,
// which may run after the JavaScript wrapper (and so UdpSocket) has been garbage-collected.
struct PollBox {
  uv_poll_t handle;
  UdpSocket* owner;                          // null once the socket let go of the handle
  napi_async_cleanup_hook_handle teardown;   // set when closing for environment teardown
};

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new UdpSocket(family 4|6, batchSize, maxPacketSize, onBatch(count, flags), onError(errno, op, endpoint?),
  //               sharedReceive 0|1)
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override;

  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

 private:
  struct PendingError {
    int error;
    const char* operation;
    std::string endpoint;
  };

  // JavaScript methods. Failures are returned as -errno (the TypeScript side maps them to
  // typed errors) rather than thrown, so nothing here depends on C++ exceptions.
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value SetOption(const Napi::CallbackInfo& info);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value SetPeer(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Reply(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value StampNow(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Buffers(const Napi::CallbackInfo& info);
  Napi::Value ReplyBuffers(const Napi::CallbackInfo& info);
  Napi::Value SendQueueBuffers(const Napi::CallbackInfo& info);
  Napi::Value SetDestination(const Napi::CallbackInfo& info);
  Napi::Value FlushSends(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  static void OnEnvironmentTeardown(napi_async_cleanup_hook_handle hook, void* arg);

  void OnReadable(int status);
  int32_t FillMeta(int count);
  void ParseControl(int index, msghdr* header, int32_t* meta, bool* kernel_time);
  void PrepareReceive();
  static std::shared_ptr<ReceiveArea> AcquireReceiveArea(Napi::Env env, int batch_size, size_t max_packet, bool shared);
  static void* SharedBuffer(napi_env env, size_t bytes, Napi::Reference<Napi::ArrayBuffer>* ref);
  bool EnsureTransmitBuffers(napi_env env);
  const ReplySource* ReplyFrom(int index) const;
  int QueueReply(int index, const uint8_t* data, size_t length, int stamp_offset, int ttl, int tos);
  int SendDirect(uint8_t* data, size_t length, const sockaddr* to, socklen_t to_length, const ReplySource* from,
                 int stamp_offset, bool stamp_in_place, int ttl, int tos);
  void FlushReplies();
  bool EnsureSendQueue(napi_env env);
  int FlushSendQueue();
  size_t BuildControl(uint8_t* control, const ReplySource* from, int ttl, int tos) const;
  void RecordError(int error, const char* operation, std::string endpoint);
  void DeliverPendingErrors();
  void EmitError(int error, const char* operation, const std::string& endpoint);
  // Calls into JavaScript from the loop. False when JavaScript cannot run (environment
  // teardown); otherwise true, with *exception set when the callee threw.
  bool CallIntoJs(const Napi::FunctionReference& function, napi_value receiver, size_t argc,
                  const napi_value* argv, napi_value* exception);
  void StopPolling();
  void CloseNow(napi_async_cleanup_hook_handle teardown);
  void ReleaseBuffers();
  void StoreStamp(NtpStamp stamp);
  std::string PeerEndpoint() const;

  int family_;          // AF_INET or AF_INET6
  int fd_ = -1;
  int batch_size_;
  size_t max_packet_;
  bool started_ = false;
  bool closed_ = false;
  bool in_destructor_ = false;
  bool dispatching_ = false;   // inside the batch callback: reply() is allowed, memory stays
  bool connected_ = false;
  bool shared_receive_ = false;
  bool reply_from_arrival_ = true;   // bound to a wildcard: replies name their source address
  int current_count_ = 0;      // packets in the batch being dispatched
  int js_depth_ = 0;           // calls into JavaScript on the stack (close() may happen inside)

  PollBox* box_ = nullptr;
  napi_async_cleanup_hook_handle teardown_hook_ = nullptr;
  std::unique_ptr<Napi::AsyncContext> async_context_;

  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  // The shared ArrayBuffers stay referenced while open, so their backing stores (which the raw
  // pointers below point into) cannot be collected under the addon.
  Napi::Reference<Napi::ArrayBuffer> ctl_ref_;
  double* stats_ = nullptr;
  uint32_t* stamp_ = nullptr;

  // Receive side (own or shared, see ReceiveArea); null once closed.
  std::shared_ptr<ReceiveArea> rx_;

  // Transmit side for replies, allocated on the first reply (senders never need it). The queue
  // itself is shared with JavaScript: octets in the send slab (slot q at q * max_packet_),
  // kTxStride words per reply in tx_meta_, and the number queued at *tx_count_ (in the control
  // buffer). FlushReplies() turns it into msghdrs and one sendmmsg().
  Napi::Reference<Napi::ArrayBuffer> tx_slab_ref_;
  Napi::Reference<Napi::ArrayBuffer> tx_meta_ref_;
  uint8_t* tx_slab_ = nullptr;
  int32_t* tx_meta_ = nullptr;
  int32_t* tx_count_ = nullptr;
  int32_t dummy_tx_count_ = 0;
  int reply_count_ = 0;   // packets of the batch the queued replies answer (valid until the next receive)
  std::vector<mmsghdr> tx_msgs_;
  std::vector<iovec> tx_iov_;
  std::vector<uint64_t> tx_control_;

  // The send queue of queue()/flushSends(), allocated on the first use (reflectors never need
  // it). Like the reply queue it lives in JavaScript-owned memory, so queueing a packet never
  // crosses into the addon; destinations are parsed once into dest_ (setDestination()) and
  // entries name them by slot.
  Napi::Reference<Napi::ArrayBuffer> sq_slab_ref_;
  Napi::Reference<Napi::ArrayBuffer> sq_meta_ref_;
  Napi::Reference<Napi::ArrayBuffer> sq_stamps_ref_;
  Napi::Reference<Napi::ArrayBuffer> sq_results_ref_;
  uint8_t* sq_slab_ = nullptr;
  int32_t* sq_meta_ = nullptr;
  uint32_t* sq_stamps_ = nullptr;
  int32_t* sq_results_ = nullptr;
  int32_t* sq_count_ = nullptr;
  int32_t* sq_refused_ = nullptr;
  int32_t dummy_sq_word_[2] = {0, 0};
  std::vector<mmsghdr> sq_msgs_;
  std::vector<iovec> sq_iov_;
  std::vector<uint64_t> sq_control_;
  std::vector<int32_t> sq_entry_;   // message m of the sendmmsg() carries queue entry sq_entry_[m]
  std::vector<sockaddr_storage> dest_;
  std::vector<socklen_t> dest_length_;

  sockaddr_storage peer_{};       // destination cached by setPeer() for send()
  socklen_t peer_length_ = 0;
  sockaddr_storage connected_peer_{};

  std::vector<PendingError> pending_errors_;

  // Where counters and the stamp go when no shared buffer is attached (before setup, after
  // close), so no path ever needs a null check.
  double dummy_stats_[8];
  uint32_t dummy_stamp_[2];
};

}  // namespace twamp_udp

#endif  // TWAMP_UDP_UDP_SOCKET_H_
