// wake(id) may be called from any thread's environment: the id goes through the
// process-wide registry, which holds a reference while the waker is in use, so a
// waker closed meanwhile (its selector closed, its thread gone) is never touched
// after its fds were closed.
#include "waker_wrap.h"

#include <errno.h>

#include "../core/waker.h"
#include "addon_data.h"
#include "js_errors.h"

namespace ioreactor {
namespace js {
namespace {

bool ArgWakerId(const Napi::CallbackInfo& info, uint64_t* id) {
  int64_t value;
  if (!ArgInt(info, 0, 1, static_cast<int64_t>(core::kMaxWakerId), "waker handle", &value)) return false;
  *id = static_cast<uint64_t>(value);
  return true;
}

// wake(id) -> true if the waker was open and is now (or already was) pending;
// false if it is closed or the id was never handed out.
Napi::Value Wake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id;
  if (!ArgWakerId(info, &id)) return env.Undefined();
  std::shared_ptr<core::Waker> waker = core::WakerRegistryFind(id);
  if (!waker) return Napi::Boolean::New(env, false);
  const int err = waker->Wake();
  if (err == -EBADF) return Napi::Boolean::New(env, false);
  if (err != 0) {
    ThrowSystemError(env, err, "write");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// openWaker() -> [id, readFd]: a stand-alone fd-based waker owned by this
// environment.
Napi::Value OpenWaker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* data = GetAddonData(env);
  int err = 0;
  std::shared_ptr<core::Waker> waker = core::Waker::OpenFd(&err);
  if (!waker) {
    ThrowSystemError(env, err, "eventfd");
    return env.Undefined();
  }
  const uint64_t id = core::WakerRegistryAdd(waker);
  if (id == 0) {
    ThrowSystemError(env, -EOVERFLOW, "waker");
    return env.Undefined();
  }
  data->wakers.emplace(id, waker);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, static_cast<double>(id)));
  result.Set(1u, Napi::Number::New(env, waker->read_fd()));
  return result;
}

// drainWaker(id): resets a stand-alone waker of this environment.
Napi::Value DrainWaker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id;
  if (!ArgWakerId(info, &id)) return env.Undefined();
  AddonData* data = GetAddonData(env);
  auto it = data->wakers.find(id);
  if (it == data->wakers.end()) return env.Undefined();
  const int err = it->second->Drain();
  if (err != 0) ThrowSystemError(env, err, "read");
  return env.Undefined();
}

// closeWaker(id) -> whether this environment owned it. Idempotent.
Napi::Value CloseWaker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id;
  if (!ArgWakerId(info, &id)) return env.Undefined();
  AddonData* data = GetAddonData(env);
  auto it = data->wakers.find(id);
  if (it == data->wakers.end()) return Napi::Boolean::New(env, false);
  core::WakerRegistryRemove(id);
  it->second->Close();
  data->wakers.erase(it);
  return Napi::Boolean::New(env, true);
}

Napi::Value WakerCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(core::WakerRegistrySize()));
}

}  // namespace

void CloseEnvWakers(AddonData* data) {
  for (auto& entry : data->wakers) {
    core::WakerRegistryRemove(entry.first);
    entry.second->Close();
  }
  data->wakers.clear();
}

void InitWakers(Napi::Env env, Napi::Object exports) {
  exports.Set("wake", Napi::Function::New<Wake>(env, "wake"));
  exports.Set("openWaker", Napi::Function::New<OpenWaker>(env, "openWaker"));
  exports.Set("drainWaker", Napi::Function::New<DrainWaker>(env, "drainWaker"));
  exports.Set("closeWaker", Napi::Function::New<CloseWaker>(env, "closeWaker"));
  exports.Set("wakerCount", Napi::Function::New<WakerCount>(env, "wakerCount"));
}

}  // namespace js
}  // namespace ioreactor
