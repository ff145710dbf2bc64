// Selector wrapper: validates arguments, maps -errno to SystemError, writes
// select() results into a JavaScript-owned Int32Array (no allocation per event).
#include "selector_wrap.h"

#include <errno.h>
#include <sys/select.h>

#include <cmath>
#include <cstring>
#include <string>

#include "addon_data.h"
#include "js_errors.h"

namespace ioreactor {
namespace js {

Napi::Function SelectorWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "NativeSelector",
      {
          InstanceMethod<&SelectorWrap::Register>("register"),
          InstanceMethod<&SelectorWrap::Modify>("modify"),
          InstanceMethod<&SelectorWrap::Unregister>("unregister"),
          InstanceMethod<&SelectorWrap::Select>("select"),
          InstanceMethod<&SelectorWrap::SetBuffer>("setBuffer"),
          InstanceMethod<&SelectorWrap::Fileno>("fileno"),
          InstanceMethod<&SelectorWrap::Close>("close"),
          InstanceMethod<&SelectorWrap::Size>("size"),
          InstanceMethod<&SelectorWrap::EintrRetries>("eintrRetries"),
          InstanceMethod<&SelectorWrap::OpenWaker>("openWaker"),
          InstanceMethod<&SelectorWrap::SupportedFlags>("supportedFlags"),
#ifdef IOR_TEST_HOOKS
          InstanceMethod<&SelectorWrap::InjectFault>("injectFault"),
#endif
      });
}

SelectorWrap::SelectorWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SelectorWrap>(info), data_(GetAddonData(info.Env())) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowInvalidArgument(env, "backend must be a string");
    return;
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  core::Backend backend = core::Backend::kEpoll;
  bool found = false;
  for (int i = 0; i < core::kBackendCount; ++i) {
    if (name == core::BackendName(static_cast<core::Backend>(i))) {
      backend = static_cast<core::Backend>(i);
      found = true;
    }
  }
  if (!found) {
    ThrowInvalidArgument(env, "unknown backend");
    return;
  }
  int err = 0;
  selector_ = core::CreateSelector(backend, &err);
  if (!selector_) {
    ThrowSystemError(env, err, backend == core::Backend::kEpoll    ? "epoll_create1"
                               : backend == core::Backend::kKqueue ? "kqueue"
                                                                   : "selector");
    return;
  }
  if (data_ != nullptr) data_->selectors.insert(this);
}

SelectorWrap::~SelectorWrap() {
  if (data_ != nullptr) data_->selectors.erase(this);
  if (selector_) selector_->Close();
}

void SelectorWrap::CloseNow() {
  if (selector_) selector_->Close();
  closed_ = true;
}

bool SelectorWrap::EventBuffer(Napi::Env env, int32_t** data, int* capacity) {
  if (buffer_ref_.IsEmpty()) return false;
  ViewBytes view;
  if (!GetViewBytes(env, buffer_ref_.Value(), &view) || view.detached) return false;
  const size_t pairs = view.len / (2 * sizeof(int32_t));
  if (pairs == 0 || view.data == nullptr) return false;
  *data = reinterpret_cast<int32_t*>(view.data);
  *capacity = pairs > INT32_MAX ? INT32_MAX : static_cast<int>(pairs);
  return true;
}

bool SelectorWrap::CheckOpen(Napi::Env env) {
  if (selector_ && !closed_) return true;
  ThrowSystemError(env, -EBADF, "selector");
  return false;
}

const char* SelectorWrap::CtlSyscall() const {
  switch (selector_->Kind()) {
    case core::Backend::kEpoll:
      return "epoll_ctl";
    case core::Backend::kKqueue:
      return "kevent";
    case core::Backend::kPoll:
      return "poll";
    case core::Backend::kSelect:
      return "select";
  }
  return "selector";
}

const char* SelectorWrap::WaitSyscall() const {
  switch (selector_->Kind()) {
    case core::Backend::kEpoll:
      return "epoll_wait";
    case core::Backend::kKqueue:
      return "kevent";
    case core::Backend::kPoll:
      return "poll";
    case core::Backend::kSelect:
      return "select";
  }
  return "selector";
}

static bool ArgEvents(const Napi::CallbackInfo& info, size_t index, uint32_t* events) {
  int64_t value;
  if (!ArgInt(info, index, 1, core::kEventMask, "events", &value)) return false;
  *events = static_cast<uint32_t>(value);
  return true;
}

// Optional third argument: kFlag* bits (absent or undefined: none).
static bool ArgFlags(const Napi::CallbackInfo& info, size_t index, uint32_t* flags) {
  *flags = 0;
  if (info.Length() <= index || info[index].IsUndefined()) return true;
  int64_t value;
  if (!ArgInt(info, index, 0, core::kFlagMask, "flags", &value)) return false;
  *flags = static_cast<uint32_t>(value);
  return true;
}

// A flag the backend lacks is the caller's mistake, not the kernel's: an
// InvalidArgumentError, and (selector.h) nothing changed.
static bool ThrowFlagError(Napi::Env env, int err) {
  if (err == -EOPNOTSUPP) {
    ThrowInvalidArgument(env, "this backend does not support these registration flags");
    return true;
  }
  return false;
}

Napi::Value SelectorWrap::Register(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  uint32_t events;
  uint32_t flags;
  if (!ArgFd(info, 0, &fd) || !ArgEvents(info, 1, &events) || !ArgFlags(info, 2, &flags)) {
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  int err = selector_->Register(fd, events, flags);
  if (ThrowFlagError(env, err)) return env.Undefined();
  if (err == 0 && pending_fault_ != 0) {
    selector_->Unregister(fd);
    err = pending_fault_;
    pending_fault_ = 0;
  }
  if (err == -ERANGE) {
    ThrowInvalidArgument(env, "fd is not below FD_SETSIZE; the select backend cannot watch it");
  } else if (err != 0) {
    ThrowSystemError(env, err, CtlSyscall());
  }
  return env.Undefined();
}

Napi::Value SelectorWrap::Modify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  uint32_t events;
  uint32_t flags;
  if (!ArgFd(info, 0, &fd) || !ArgEvents(info, 1, &events) || !ArgFlags(info, 2, &flags)) {
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  if ((flags & ~selector_->SupportedFlags()) != 0) {
    ThrowFlagError(env, -EOPNOTSUPP);
    return env.Undefined();
  }
  int err;
  if (pending_fault_ != 0) {
    // Simulates a kernel failure with the same outcome as a real one: the
    // registration is gone (see Selector::Modify).
    selector_->Unregister(fd);
    err = pending_fault_;
    pending_fault_ = 0;
  } else {
    err = selector_->Modify(fd, events, flags);
  }
  if (ThrowFlagError(env, err)) return env.Undefined();
  if (err != 0) ThrowSystemError(env, err, CtlSyscall());
  return env.Undefined();
}

Napi::Value SelectorWrap::Unregister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  if (!CheckOpen(env)) return env.Undefined();
  const int err = selector_->Unregister(fd);
  if (err != 0) ThrowSystemError(env, err, CtlSyscall());
  return env.Undefined();
}

Napi::Value SelectorWrap::Select(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowInvalidArgument(env, "timeout must be a number (negative: block)");
    return env.Undefined();
  }
  const double timeout = info[0].As<Napi::Number>().DoubleValue();
  if (std::isnan(timeout)) {
    ThrowInvalidArgument(env, "timeout must not be NaN");
    return env.Undefined();
  }
  if (!CheckOpen(env)) return env.Undefined();
  if (buffer_ref_.IsEmpty()) {
    ThrowInvalidArgument(env, "setBuffer() must be called before select()");
    return env.Undefined();
  }
  int32_t* buffer;
  int capacity;
  if (!EventBuffer(env, &buffer, &capacity)) {
    ThrowInvalidArgument(env, "the buffer given to setBuffer() was detached or shrunk to nothing");
    return env.Undefined();
  }
  const int n = selector_->Select(timeout, buffer, capacity);
  if (n < 0) {
    ThrowSystemError(env, n, WaitSyscall());
    return env.Undefined();
  }
  return Napi::Number::New(env, n);
}

Napi::Value SelectorWrap::SetBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowInvalidArgument(env, "buffer must be an Int32Array");
    return env.Undefined();
  }
  ViewBytes view;
  if (!GetViewBytes(env, info[0], &view) || view.detached || view.len / (2 * sizeof(int32_t)) == 0) {
    ThrowInvalidArgument(env, "buffer must hold at least one (fd, events) pair");
    return env.Undefined();
  }
  // Only the array is kept; EventBuffer() finds its memory again on each use.
  buffer_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
  return env.Undefined();
}

Napi::Value SelectorWrap::Fileno(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return Napi::Number::New(env, selector_->Fileno());
}

Napi::Value SelectorWrap::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  buffer_ref_.Reset();
  return info.Env().Undefined();
}

Napi::Value SelectorWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), selector_ ? selector_->Size() : 0);
}

Napi::Value SelectorWrap::OpenWaker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  std::shared_ptr<core::Waker> waker;
  const bool had_waker = selector_->waker() != nullptr;
  const int err = selector_->OpenWaker(&waker);
  if (err == -EEXIST && had_waker) {
    ThrowInvalidArgument(env, "this selector has a waker already");
    return env.Undefined();
  }
  if (err != 0) {
    // -EEXIST without a waker: the new fd's number is still registered here, under an
    // fd that was closed without being unregistered. A kernel-style error, since the
    // caller's stale registration is the cause, not this call's arguments.
    ThrowSystemError(env, err,
                     err == -EEXIST                                  ? CtlSyscall()
                     : selector_->Kind() == core::Backend::kKqueue ? "kevent"
                                                                     : "eventfd");
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(waker->id()));
}

Napi::Value SelectorWrap::SupportedFlags(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), selector_ ? selector_->SupportedFlags() : 0);
}

Napi::Value SelectorWrap::EintrRetries(const Napi::CallbackInfo& info) {
  return Napi::Number::New(
      info.Env(), selector_ ? static_cast<double>(selector_->eintr_retries()) : 0);
}

#ifdef IOR_TEST_HOOKS
Napi::Value SelectorWrap::InjectFault(const Napi::CallbackInfo& info) {
  int64_t err;
  if (!ArgInt(info, 0, -4095, -1, "errno", &err)) return info.Env().Undefined();
  pending_fault_ = static_cast<int>(err);
  return info.Env().Undefined();
}
#endif

}  // namespace js
}  // namespace ioreactor
