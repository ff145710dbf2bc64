// Wrappers for ioreactor/sys. read/write return counts or -errno (hot path);
// everything else throws SystemError.
#include "sys_wrap.h"

#include <limits.h>
#include <sys/select.h>
#include <sys/uio.h>

#include <cmath>
#include <memory>
#include <vector>

#include "../core/fd_ops.h"
#include "addon_data.h"
#include "js_errors.h"

namespace ioreactor {
namespace js {
namespace {

Napi::Value PairResult(Napi::Env env, int err, const int fds[2], const char* syscall) {
  if (err != 0) {
    ThrowSystemError(env, err, syscall);
    return env.Undefined();
  }
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(uint32_t{0}, Napi::Number::New(env, fds[0]));
  result.Set(uint32_t{1}, Napi::Number::New(env, fds[1]));
  return result;
}

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2] = {-1, -1};
  return PairResult(info.Env(), core::SocketPair(fds), fds, "socketpair");
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2] = {-1, -1};
  return PairResult(info.Env(), core::Pipe(fds), fds, "pipe");
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  // Whatever happens, the number is no longer ours: forgetting it keeps the
  // cleanup hook from closing whatever file reuses it later.
  AddonData* data = GetAddonData(env);
  if (data != nullptr) data->owned_fds.erase(fd);
  const int err = core::Close(fd);
  if (err != 0) ThrowSystemError(env, err, "close");
  return env.Undefined();
}

// ownFd(fd): the environment cleanup hook closes fd if it is still owned then.
Napi::Value OwnFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  AddonData* data = GetAddonData(env);
  if (data != nullptr) data->owned_fds.insert(fd);
  return env.Undefined();
}

// disownFd(fd) -> whether fd was owned. Does not close it.
Napi::Value DisownFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  AddonData* data = GetAddonData(env);
  return Napi::Boolean::New(env, data != nullptr && data->owned_fds.erase(fd) > 0);
}

// closeOwnedFd(fd) -> 0 or -errno. Never throws for an OS error: it runs from
// FinalizationRegistry callbacks, where nobody could catch it, and -EBADF (closed
// already) is a normal answer there.
Napi::Value CloseOwnedFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  AddonData* data = GetAddonData(env);
  if (data != nullptr) data->owned_fds.erase(fd);
  return Napi::Number::New(env, core::Close(fd));
}

Napi::Value Dup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  const int r = core::Dup(fd);
  if (r < 0) {
    ThrowSystemError(env, r, "dup");
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

Napi::Value Dup2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int fd2;
  if (!ArgFd(info, 0, &fd) || !ArgFd(info, 1, &fd2)) return env.Undefined();
  const int r = core::Dup2(fd, fd2);
  if (r < 0) {
    ThrowSystemError(env, r, "dup2");
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  int fd;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(core::Read(fd, data, len)));
}

Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgBytes(info, 1, &data, &len)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(core::Write(fd, data, len)));
}

// writev(fd, buffers) -> bytes or -errno. The argument rules are sendv's
// (socket_wrap.cc): at most IOV_MAX buffers go per call, the partial count tells
// the caller where to resume.
Napi::Value WriteVFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  IovecArg buffers;
  if (!ArgFd(info, 0, &fd) || !buffers.Read(info, 1)) return env.Undefined();
  return Napi::Number::New(env, static_cast<double>(core::WriteV(fd, buffers.iov(), buffers.count())));
}

// (fd, buffer, offset?, length?, position) -> bytes or -errno.
Napi::Value PRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t position;
  uint8_t* data;
  size_t len;
  if (!ArgFd(info, 0, &fd) || !ArgInt(info, 4, 0, INT64_C(1) << 53, "position", &position) ||
      !ArgBytes(info, 1, &data, &len)) {
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(core::PRead(fd, data, len, position)));
}

Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    ThrowInvalidArgument(env, "on must be a boolean");
    return env.Undefined();
  }
  const int err = core::SetNonBlocking(fd, info[1].As<Napi::Boolean>().Value());
  if (err != 0) ThrowSystemError(env, err, "fcntl");
  return env.Undefined();
}

Napi::Value GetRlimitNofile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t soft;
  int64_t hard;
  const int err = core::GetRlimitNofile(&soft, &hard);
  if (err != 0) {
    ThrowSystemError(env, err, "getrlimit");
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("soft", soft < 0 ? Napi::Number::New(env, INFINITY)
                              : Napi::Number::New(env, static_cast<double>(soft)));
  result.Set("hard", hard < 0 ? Napi::Number::New(env, INFINITY)
                              : Napi::Number::New(env, static_cast<double>(hard)));
  return result;
}

Napi::Value SetRlimitNofile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t soft = -1;
  const bool infinite = info.Length() > 0 && info[0].IsNumber() &&
                        info[0].As<Napi::Number>().DoubleValue() == INFINITY;
  if (!infinite && !ArgInt(info, 0, 0, INT64_C(1) << 53, "soft", &soft)) {
    return env.Undefined();
  }
  const int err = core::SetRlimitNofile(soft);
  if (err != 0) ThrowSystemError(env, err, "setrlimit");
  return env.Undefined();
}

}  // namespace

void InitSys(Napi::Env env, Napi::Object exports) {
  exports.Set("socketpair", Napi::Function::New<SocketPair>(env, "socketpair"));
  exports.Set("pipe", Napi::Function::New<Pipe>(env, "pipe"));
  exports.Set("close", Napi::Function::New<Close>(env, "close"));
  exports.Set("dup", Napi::Function::New<Dup>(env, "dup"));
  exports.Set("dup2", Napi::Function::New<Dup2>(env, "dup2"));
  exports.Set("read", Napi::Function::New<Read>(env, "read"));
  exports.Set("write", Napi::Function::New<Write>(env, "write"));
  exports.Set("writev", Napi::Function::New<WriteVFn>(env, "writev"));
  exports.Set("pread", Napi::Function::New<PRead>(env, "pread"));
  exports.Set("ownFd", Napi::Function::New<OwnFd>(env, "ownFd"));
  exports.Set("disownFd", Napi::Function::New<DisownFd>(env, "disownFd"));
  exports.Set("closeOwnedFd", Napi::Function::New<CloseOwnedFd>(env, "closeOwnedFd"));
  exports.Set("setNonBlocking", Napi::Function::New<SetNonBlocking>(env, "setNonBlocking"));
  exports.Set("getrlimitNofile", Napi::Function::New<GetRlimitNofile>(env, "getrlimitNofile"));
  exports.Set("setrlimitNofile", Napi::Function::New<SetRlimitNofile>(env, "setrlimitNofile"));
  exports.Set("FD_SETSIZE", Napi::Number::New(env, FD_SETSIZE));
}

}  // namespace js
}  // namespace ioreactor
