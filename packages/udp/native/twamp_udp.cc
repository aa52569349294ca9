// Entry point of the twamp_udp addon. On anything but Linux the module loads and throws one
// clear "unsupported" error, so the loader records the reason and the node:dgram fallback is used.
#include <napi.h>

#ifdef __linux__

#include <sys/socket.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "layout.h"
#include "net_util.h"
#include "udp_socket.h"

namespace twamp_udp {
namespace {

// clockStatus() → [state, status, esterror µs, maxerror µs]; state is -errno when adjtimex fails.
// A query (modes = 0) needs no privilege. Interpretation (STA_UNSYNC, TIME_ERROR) is in TypeScript.
Napi::Value ClockStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  timex tx{};
  tx.modes = 0;
  const int state = adjtimex(&tx);
  Napi::Array result = Napi::Array::New(env, 4);
  result.Set(0u, Napi::Number::New(env, state < 0 ? -errno : state));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(tx.status)));
  result.Set(2u, Napi::Number::New(env, static_cast<double>(tx.esterror)));
  result.Set(3u, Napi::Number::New(env, static_cast<double>(tx.maxerror)));
  return result;
}

// readMonotonic(cell: Float64Array) writes CLOCK_MONOTONIC (the clock of performance.now()) in
// milliseconds into cell[0] and returns nothing: a spin-wait can read the time without allocating
// (on Node 20 every performance.now() allocates an array, which a busy wait turns into frequent
// scavenges that delay sends).
Napi::Value ReadMonotonic(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (info.Length() < 1) return Napi::Value();
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, info[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_float64_array || length < 1) {
    return Napi::Value();
  }
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  static_cast<double*>(data)[0] = static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
  return Napi::Value();
}

// strerror(errno) → text, for error details (the errno name comes from Node's own table).
Napi::Value StrError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t error = 0;
  if (info.Length() < 1 || napi_get_value_int32(env, info[0], &error) != napi_ok) return env.Undefined();
  return Napi::String::New(env, ErrorText(error < 0 ? -error : error));
}

// The kernel stamps received packets only while some socket on the host wants timestamps: a
// static key, switched on from a workqueue after the first SO_TIMESTAMPNS and off again when the
// last such socket closes. Packets queued while it is off get the time of recvmsg() instead,
// silently. One unbound socket held for the life of the process keeps the switch on, so sockets
// opened later (a reflector per session, say) never race it. Opened once per process, on first
// load; one descriptor, no port.
void KeepKernelTimestampsOn() {
  static const int keeper = [] {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }();
  (void)keeper;
}

}  // namespace
}  // namespace twamp_udp

// At global scope: NODE_API_MODULE pastes the function name into an identifier.
static Napi::Object InitTwampUdp(Napi::Env env, Napi::Object exports) {
  using namespace twamp_udp;
  KeepKernelTimestampsOn();
  // The environment's shared receive areas (UdpSocket's sharedReceive); freed with it.
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("layoutVersion", Napi::Number::New(env, kLayoutVersion));
  exports.Set("UdpSocket", UdpSocket::Define(env));
  exports.Set("clockStatus", Napi::Function::New(env, ClockStatus, "clockStatus"));
  exports.Set("readMonotonic", Napi::Function::New(env, ReadMonotonic, "readMonotonic"));
  exports.Set("strerror", Napi::Function::New(env, StrError, "strerror"));
  return exports;
}

NODE_API_MODULE(twamp_udp, InitTwampUdp)

#else  // !__linux__

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Error::New(env, "twamp_udp: the native UDP socket supports Linux only (recvmmsg, SO_TIMESTAMPNS, IP_PKTINFO)")
      .ThrowAsJavaScriptException();
  return exports;
}
}  // namespace

NODE_API_MODULE(twamp_udp, Init)

#endif  // __linux__
