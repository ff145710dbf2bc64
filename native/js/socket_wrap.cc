// Socket wrappers. Hot-path calls (accept, connect, recv*, send*) return numbers
// (a negative errno included) and throw only for bad arguments; the rest throw
// SystemError.
#include "socket_wrap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../core/socket_ops.h"
#include "addon_data.h"
#include "js_errors.h"

namespace ioreactor {
namespace js {
namespace {

// Reads an optional uint32 property (absent or undefined: 0). A getter may run.
bool ArgUint32Field(Napi::Env env, Napi::Object obj, const char* key, const char* message,
                    uint32_t* out) {
  Napi::Value value = obj.Get(key);
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) return true;
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(number >= 0 && number <= 4294967295.0) || std::trunc(number) != number) {
    ThrowInvalidArgument(env, message);
    return false;
  }
  *out = static_cast<uint32_t>(number);
  return true;
}

// Reads { family: 'IPv4'|'IPv6', address, port, flowinfo?, scopeid? } or
// { family: 'unix', path } into a sockaddr. Throws InvalidArgumentError.
bool ArgAddress(const Napi::CallbackInfo& info, size_t index, core::SockAddr* out) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsObject()) {
    ThrowInvalidArgument(env, "address must be an object");
    return false;
  }
  Napi::Object obj = info[index].As<Napi::Object>();
  Napi::Value family_value = obj.Get("family");
  // A getter or Proxy trap that threw: let its own error propagate.
  if (env.IsExceptionPending()) return false;
  if (!family_value.IsString()) {
    ThrowInvalidArgument(env, "address.family must be 'IPv4', 'IPv6' or 'unix'");
    return false;
  }
  const std::string family = family_value.As<Napi::String>().Utf8Value();
  if (family == "unix") {
    Napi::Value path = obj.Get("path");
    if (env.IsExceptionPending()) return false;
    if (!path.IsString()) {
      ThrowInvalidArgument(env, "address.path must be a string");
      return false;
    }
    const std::string text = path.As<Napi::String>().Utf8Value();
    if (core::MakeUnixAddr(text.data(), text.size(), out) != 0) {
      ThrowInvalidArgument(env, "address.path is empty or longer than sun_path");
      return false;
    }
    return true;
  }
  int af;
  if (family == "IPv4") {
    af = AF_INET;
  } else if (family == "IPv6") {
    af = AF_INET6;
  } else {
    ThrowInvalidArgument(env, "address.family must be 'IPv4', 'IPv6' or 'unix'");
    return false;
  }
  Napi::Value address = obj.Get("address");
  if (env.IsExceptionPending()) return false;
  Napi::Value port = obj.Get("port");
  if (env.IsExceptionPending()) return false;
  if (!address.IsString()) {
    ThrowInvalidArgument(env, "address.address must be a numeric IP address string");
    return false;
  }
  double port_number = port.IsNumber() ? port.As<Napi::Number>().DoubleValue() : -1;
  if (!(port_number >= 0 && port_number <= 65535) || std::trunc(port_number) != port_number) {
    ThrowInvalidArgument(env, "address.port must be an integer from 0 to 65535");
    return false;
  }
  uint32_t flowinfo = 0;
  uint32_t scope_id = 0;
  if (af == AF_INET6 &&
      (!ArgUint32Field(env, obj, "flowinfo", "address.flowinfo must be an integer from 0 to 2**32-1",
                      &flowinfo) ||
       !ArgUint32Field(env, obj, "scopeid", "address.scopeid must be an integer from 0 to 2**32-1",
                       &scope_id))) {
    return false;
  }
  const std::string host = address.As<Napi::String>().Utf8Value();
  if (core::MakeInetAddr(af, host.c_str(), static_cast<int>(port_number), flowinfo, scope_id, out) != 0) {
    ThrowInvalidArgument(env, "address.address is not a numeric address of that family (no DNS here)");
    return false;
  }
  return true;
}

Napi::Value AddressToJs(Napi::Env env, const core::SockAddr& addr) {
  Napi::Object obj = Napi::Object::New(env);
  const int family = addr.storage.ss_family;
  char text[INET6_ADDRSTRLEN] = {0};
  if (family == AF_INET) {
    const auto* sin = reinterpret_cast<const struct sockaddr_in*>(&addr.storage);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    obj.Set("family", "IPv4");
    obj.Set("address", text);
    obj.Set("port", ntohs(sin->sin_port));
  } else if (family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(&addr.storage);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    obj.Set("family", "IPv6");
    obj.Set("address", text);
    obj.Set("port", ntohs(sin6->sin6_port));
    obj.Set("flowinfo", ntohl(sin6->sin6_flowinfo));
    obj.Set("scopeid", sin6->sin6_scope_id);
  } else if (family == AF_UNIX) {
    const auto* sun = reinterpret_cast<const struct sockaddr_un*>(&addr.storage);
    const size_t base = offsetof(struct sockaddr_un, sun_path);
    size_t len = addr.len > base ? addr.len - base : 0;
    if (len > sizeof(sun->sun_path)) len = sizeof(sun->sun_path);
    // A pathname ends at its NUL; an abstract name (leading NUL) is all of len.
    if (len > 0 && sun->sun_path[0] != '\0') len = strnlen(sun->sun_path, len);
    obj.Set("family", "unix");
    obj.Set("path", Napi::String::New(env, sun->sun_path, len));
  } else {
    obj.Set("family", Napi::Number::New(env, family));
  }
  return obj;
}

// The options ioreactor/sys knows by name: (level, optname).
bool OptionByName(const std::string& name, int* level, int* opt) {
  struct Entry {
    const char* name;
    int level;
    int opt;
  };
  static const Entry kOptions[] = {
    {"SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR},
#ifdef SO_REUSEPORT
    {"SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT},
#endif
    {"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE},
    {"SO_RCVBUF", SOL_SOCKET, SO_RCVBUF},
    {"SO_SNDBUF", SOL_SOCKET, SO_SNDBUF},
    {"SO_ERROR", SOL_SOCKET, SO_ERROR},
    {"SO_BROADCAST", SOL_SOCKET, SO_BROADCAST},
    {"SO_TYPE", SOL_SOCKET, SO_TYPE},
    {"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY},
    {"IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY},
  };
  for (const Entry& entry : kOptions) {
    if (name == entry.name) {
      *level = entry.level;
      *opt = entry.opt;
      return true;
    }
  }
  return false;
}

bool ArgOption(const Napi::CallbackInfo& info, size_t index, int* level, int* opt) {
  if (index < info.Length() && info[index].IsString() &&
      OptionByName(info[index].As<Napi::String>().Utf8Value(), level, opt)) {
    return true;
  }
  ThrowInvalidArgument(info.Env(),
                       "option must be one of SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, "
                       "SO_SNDBUF, SO_ERROR, SO_BROADCAST, SO_TYPE, TCP_NODELAY, IPV6_V6ONLY");
  return false;
}

Napi::Value SocketFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t family;
  int64_t type;
  int64_t protocol = 0;
  if (!ArgInt(info, 0, 0, INT_MAX, "family", &family) || !ArgInt(info, 1, 0, INT_MAX, "type", &type)) {
    return env.Undefined();
  }
  if (info.Length() > 2 && !info[2].IsUndefined() && !ArgInt(info, 2, 0, INT_MAX, "protocol", &protocol)) {
    return env.Undefined();
  }
  const int fd = core::Socket(static_cast<int>(family), static_cast<int>(type), static_cast<int>(protocol));
  if (fd < 0) {
    ThrowSystemError(env, fd, "socket");
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value BindFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  core::SockAddr addr;
  if (!ArgFd(info, 0, &fd) || !ArgAddress(info, 1, &addr)) return env.Undefined();
  const int err = core::Bind(fd, addr);
  if (err != 0) ThrowSystemError(env, err, "bind");
  return env.Undefined();
}

Napi::Value ListenFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t backlog = SOMAXCONN;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  if (info.Length() > 1 && !info[1].IsUndefined() && !ArgInt(info, 1, 0, INT_MAX, "backlog", &backlog)) {
    return env.Undefined();
  }
  const int err = core::Listen(fd, static_cast<int>(backlog));
  if (err != 0) ThrowSystemError(env, err, "listen");
  return env.Undefined();
}

Napi::Value AcceptFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  core::SockAddr peer;
  const int r = core::Accept(fd, &peer);
  if (r < 0) return Napi::Number::New(env, r);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(uint32_t{0}, Napi::Number::New(env, r));
  result.Set(uint32_t{1}, AddressToJs(env, peer));
  return result;
}

Napi::Value ConnectFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  core::SockAddr addr;
  if (!ArgFd(info, 0, &fd) || !ArgAddress(info, 1, &addr)) return env.Undefined();
  return Napi::Number::New(env, core::Connect(fd, addr));
}

Napi::Value NameFn(const Napi::CallbackInfo& info, bool peer) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  core::SockAddr addr;
  const int err = peer ? core::GetPeerName(fd, &addr) : core::GetSockName(fd, &addr);
  if (err != 0) {
    ThrowSystemError(env, err, peer ? "getpeername" : "getsockname");
    return env.Undefined();
  }
  return AddressToJs(env, addr);
}

Napi::Value GetSockNameFn(const Napi::CallbackInfo& info) { return NameFn(info, false); }
Napi::Value GetPeerNameFn(const Napi::CallbackInfo& info) { return NameFn(info, true); }

// (fd, size) -> Buffer of the bytes received (empty at end of stream) or -errno.
Napi::Value RecvFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t size;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, 0, INT32_MAX, "size", &size)) return env.Undefined();
  const size_t len = static_cast<size_t>(size);
  AddonData* data = GetAddonData(env);
  uint8_t* target;
  std::unique_ptr<uint8_t[]> large;
  if (data != nullptr && len <= AddonData::kMaxRecvScratch) {
    if (data->recv_scratch_size < len) {
      data->recv_scratch.reset(new (std::nothrow) uint8_t[len]);
      data->recv_scratch_size = data->recv_scratch ? len : 0;
      if (!data->recv_scratch) return Napi::Number::New(env, -ENOMEM);
    }
    target = data->recv_scratch.get();
  } else {
    // Beyond the scratch size, a block for this call only: keeping megabytes
    // per environment for a rare large read is worse than one malloc per such
    // call, and the JavaScript heap is still untouched when the answer is EAGAIN.
    large.reset(new (std::nothrow) uint8_t[len > 0 ? len : 1]);
    if (!large) return Napi::Number::New(env, -ENOMEM);
    target = large.get();
  }
  uint8_t empty;
  const int64_t n = core::Recv(fd, len > 0 ? target : &empty, len);
  if (n < 0) return Napi::Number::New(env, static_cast<double>(n));
  if (n == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  return Napi::Buffer<uint8_t>::Copy(env, target, static_cast<size_t>(n));
}

Napi::Value RecvIntoFn(const Napi::CallbackInfo& info) {
  int fd;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(core::Recv(fd, data, len)));
}

Napi::Value SendFn(const Napi::CallbackInfo& info) {
  int fd;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(core::Send(fd, data, len)));
}

Napi::Value SendVFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  IovecArg buffers;
  if (!ArgFd(info, 0, &fd) || !buffers.Read(info, 1)) return env.Undefined();
  return Napi::Number::New(env, static_cast<double>(core::SendV(fd, buffers.iov(), buffers.count())));
}

// (fd, buf, offset?, length?) -> [bytes, address] or -errno.
Napi::Value RecvFromFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return env.Undefined();
  core::SockAddr from;
  const int64_t n = core::RecvFrom(fd, data, len, &from);
  if (n < 0) return Napi::Number::New(env, static_cast<double>(n));
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(uint32_t{0}, Napi::Number::New(env, static_cast<double>(n)));
  result.Set(uint32_t{1}, AddressToJs(env, from));
  return result;
}

// The raw form recvFromKey writes: a uint32 length (little-endian), then that many bytes of
// the sender's sockaddr exactly as the kernel filled it in. Equal bytes mean an equal
// address, so JavaScript can keep one address object per sender instead of making one
// per datagram.
constexpr size_t kAddrKeyBytes = sizeof(uint32_t) + sizeof(struct sockaddr_storage);

// (fd, buf, offset, length, key) -> bytes or -errno; the sender goes into `key` (above).
Napi::Value RecvFromKeyFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  uint8_t* data;
  size_t len;
  uint8_t* key;
  size_t key_len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return env.Undefined();
  if (info.Length() < 5 || !ArgBytes(info, 4, &key, &key_len)) return env.Undefined();
  if (key_len < kAddrKeyBytes) {
    ThrowInvalidArgument(env, "key must have room for an address (addressKeyBytes)");
    return env.Undefined();
  }
  core::SockAddr from;
  const int64_t n = core::RecvFrom(fd, data, len, &from);
  if (n < 0) return Napi::Number::New(env, static_cast<double>(n));
  uint32_t from_len = from.len > sizeof(from.storage) ? sizeof(from.storage) : from.len;
  for (size_t i = 0; i < sizeof(from_len); i++) key[i] = static_cast<uint8_t>(from_len >> (8 * i));
  memcpy(key + sizeof(from_len), &from.storage, from_len);
  return Napi::Number::New(env, static_cast<double>(n));
}

// (key) -> the address object recvFromKey's key describes.
Napi::Value AddressFromKeyFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* key;
  size_t key_len;
  if (!ArgBytes(info, 0, &key, &key_len)) return env.Undefined();
  uint32_t from_len = 0;
  if (key_len >= sizeof(from_len)) {
    for (size_t i = 0; i < sizeof(from_len); i++) from_len |= static_cast<uint32_t>(key[i]) << (8 * i);
  }
  if (key_len < sizeof(from_len) || from_len > sizeof(struct sockaddr_storage) ||
      key_len - sizeof(from_len) < from_len) {
    ThrowInvalidArgument(env, "key is not an address key written by recvFromKey");
    return env.Undefined();
  }
  core::SockAddr addr;
  memset(&addr.storage, 0, sizeof(addr.storage));
  memcpy(&addr.storage, key + sizeof(from_len), from_len);
  addr.len = from_len;
  return AddressToJs(env, addr);
}

// (fd, address, buf, offset?, length?) -> bytes or -errno.
Napi::Value SendToFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  core::SockAddr to;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgAddress(info, 1, &to) || !ArgBytes(info, 2, &data, &len)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(core::SendTo(fd, data, len, to)));
}

// (outFd, inFd, offset, count) -> bytes or -errno (-ENOSYS: no sendfile here).
Napi::Value SendFileFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int out_fd;
  int in_fd;
  int64_t offset;
  int64_t count;
  if (!ArgFd(info, 0, &out_fd) || !ArgFd(info, 1, &in_fd) ||
      !ArgInt(info, 2, 0, INT64_C(1) << 53, "offset", &offset) ||
      !ArgInt(info, 3, 0, INT64_C(1) << 53, "count", &count)) {
    return env.Undefined();
  }
  return Napi::Number::New(
      env, static_cast<double>(core::SendFile(out_fd, in_fd, &offset, static_cast<size_t>(count))));
}

Napi::Value ShutdownFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t how;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 1, 0, 2, "how", &how)) return env.Undefined();
  const int err = core::Shutdown(fd, static_cast<int>(how));
  if (err != 0) ThrowSystemError(env, err, "shutdown");
  return env.Undefined();
}

Napi::Value GetSockOptFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int level;
  int opt;
  if (!ArgFd(info, 0, &fd) || !ArgOption(info, 1, &level, &opt)) return env.Undefined();
  int value = 0;
  const int err = core::GetSockOptInt(fd, level, opt, &value);
  if (err != 0) {
    ThrowSystemError(env, err, "getsockopt");
    return env.Undefined();
  }
  // SO_ERROR holds a positive errno; report it the library's way, negative.
  if (level == SOL_SOCKET && opt == SO_ERROR) value = -value;
  return Napi::Number::New(env, value);
}

Napi::Value SetSockOptFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int level;
  int opt;
  if (!ArgFd(info, 0, &fd) || !ArgOption(info, 1, &level, &opt)) return env.Undefined();
  int64_t value;
  if (info.Length() > 2 && info[2].IsBoolean()) {
    value = info[2].As<Napi::Boolean>().Value() ? 1 : 0;
  } else if (!ArgInt(info, 2, INT_MIN, INT_MAX, "value", &value)) {
    return env.Undefined();
  }
  const int err = core::SetSockOptInt(fd, level, opt, static_cast<int>(value));
  if (err != 0) ThrowSystemError(env, err, "setsockopt");
  return env.Undefined();
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New<SocketFn>(env, "socket"));
  exports.Set("bind", Napi::Function::New<BindFn>(env, "bind"));
  exports.Set("listen", Napi::Function::New<ListenFn>(env, "listen"));
  exports.Set("accept", Napi::Function::New<AcceptFn>(env, "accept"));
  exports.Set("connect", Napi::Function::New<ConnectFn>(env, "connect"));
  exports.Set("getsockname", Napi::Function::New<GetSockNameFn>(env, "getsockname"));
  exports.Set("getpeername", Napi::Function::New<GetPeerNameFn>(env, "getpeername"));
  exports.Set("recv", Napi::Function::New<RecvFn>(env, "recv"));
  exports.Set("recvInto", Napi::Function::New<RecvIntoFn>(env, "recvInto"));
  exports.Set("send", Napi::Function::New<SendFn>(env, "send"));
  exports.Set("sendv", Napi::Function::New<SendVFn>(env, "sendv"));
  exports.Set("shutdown", Napi::Function::New<ShutdownFn>(env, "shutdown"));
  exports.Set("recvFrom", Napi::Function::New<RecvFromFn>(env, "recvFrom"));
  exports.Set("recvFromKey", Napi::Function::New<RecvFromKeyFn>(env, "recvFromKey"));
  exports.Set("addressFromKey", Napi::Function::New<AddressFromKeyFn>(env, "addressFromKey"));
  exports.Set("addressKeyBytes", Napi::Number::New(env, static_cast<double>(kAddrKeyBytes)));
  exports.Set("sendTo", Napi::Function::New<SendToFn>(env, "sendTo"));
  exports.Set("sendFile", Napi::Function::New<SendFileFn>(env, "sendFile"));
  exports.Set("getsockopt", Napi::Function::New<GetSockOptFn>(env, "getsockopt"));
  exports.Set("setsockopt", Napi::Function::New<SetSockOptFn>(env, "setsockopt"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("AF_INET", Napi::Number::New(env, static_cast<int>(AF_INET)));
  constants.Set("AF_INET6", Napi::Number::New(env, static_cast<int>(AF_INET6)));
  constants.Set("AF_UNIX", Napi::Number::New(env, static_cast<int>(AF_UNIX)));
  constants.Set("SOCK_STREAM", Napi::Number::New(env, static_cast<int>(SOCK_STREAM)));
  constants.Set("SOCK_DGRAM", Napi::Number::New(env, static_cast<int>(SOCK_DGRAM)));
  constants.Set("SOCK_SEQPACKET", Napi::Number::New(env, static_cast<int>(SOCK_SEQPACKET)));
  constants.Set("SHUT_RD", Napi::Number::New(env, static_cast<int>(SHUT_RD)));
  constants.Set("SHUT_WR", Napi::Number::New(env, static_cast<int>(SHUT_WR)));
  constants.Set("SHUT_RDWR", Napi::Number::New(env, static_cast<int>(SHUT_RDWR)));
  constants.Set("SOMAXCONN", Napi::Number::New(env, static_cast<int>(SOMAXCONN)));
  exports.Set("socketConstants", constants);
}

}  // namespace js
}  // namespace ioreactor
