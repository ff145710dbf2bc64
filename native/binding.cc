// Module registration: per-environment data, the cleanup hook, and the exports
// described by lib/native.ts.
#include <napi.h>

#include "core/fd_ops.h"
#include "core/selector.h"
#include "js/addon_data.h"
#include "js/js_errors.h"
#include "js/loop_wrap.h"
#include "js/selector_wrap.h"
#include "js/socket_wrap.h"
#include "js/sys_wrap.h"
#include "js/waker_wrap.h"

namespace ioreactor {
namespace js {

AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

namespace {

// Runs when the environment (main thread or worker) shuts down, before any
// finalizer: close every loop's libuv handles and every selector so nothing
// outlives its thread, and cut their links to the data about to be freed. Node
// waits until the handle close callbacks have removed the hook, so the worker's
// uv_loop_close() finds no open handles.
void CleanupEnv(napi_async_cleanup_hook_handle handle, void* arg) {
  AddonData* data = static_cast<AddonData*>(arg);
  data->tearing_down = true;
  data->cleanup_handle = handle;
  for (LoopWrap* loop : data->loops) {
    loop->CloseHandles(true);
    loop->Detach();
  }
  data->loops.clear();
  for (SelectorWrap* selector : data->selectors) {
    selector->CloseNow();
    selector->Detach();
  }
  data->selectors.clear();
  // Sockets the JavaScript layer owns would be closed by its
  // FinalizationRegistry, but an exiting worker runs no finalizers.
  for (int fd : data->owned_fds) core::Close(fd);
  data->owned_fds.clear();
  CloseEnvWakers(data);
  if (data->closing_handles == 0) {
    data->cleanup_handle = nullptr;
    napi_remove_async_cleanup_hook(handle);
  }
}

// init({ SystemError, InvalidArgumentError }): the classes native code throws.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* data = GetAddonData(env);
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowInvalidArgument(env, "init expects an object of error classes");
    return env.Undefined();
  }
  Napi::Object classes = info[0].As<Napi::Object>();
  Napi::Value system_error = classes.Get("SystemError");
  Napi::Value invalid_argument = classes.Get("InvalidArgumentError");
  if (!system_error.IsFunction() || !invalid_argument.IsFunction()) {
    ThrowInvalidArgument(env, "init expects SystemError and InvalidArgumentError classes");
    return env.Undefined();
  }
  data->system_error = Napi::Persistent(system_error.As<Napi::Function>());
  data->invalid_argument_error = Napi::Persistent(invalid_argument.As<Napi::Function>());
  return env.Undefined();
}

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < core::kBackendCount; ++i) {
    const core::Backend backend = static_cast<core::Backend>(i);
    if (!core::BackendCompiled(backend)) continue;
    // Like CPython's _can_use: a backend counts only if it opens here (a
    // kernel built without epoll answers ENOSYS).
    int err = 0;
    std::unique_ptr<core::Selector> probe = core::CreateSelector(backend, &err);
    if (!probe) continue;
    probe->Close();
    result.Set(n++, Napi::String::New(env, core::BackendName(backend)));
  }
  return result;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  AddonData* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  napi_add_async_cleanup_hook(env, CleanupEnv, data, nullptr);
  Napi::Function selector = SelectorWrap::Define(env);
  data->selector_constructor = Napi::Persistent(selector);
  Napi::Function loop = LoopWrap::Define(env);
  data->loop_constructor = Napi::Persistent(loop);
  exports.Set("init", Napi::Function::New<Init>(env, "init"));
  exports.Set("backends", Napi::Function::New<Backends>(env, "backends"));
  exports.Set("Selector", selector);
  exports.Set("Loop", loop);
  InitSys(env, exports);
  InitWakers(env, exports);
  InitSockets(env, exports);
  return exports;
}

}  // namespace
}  // namespace js
}  // namespace ioreactor

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  return ioreactor::js::InitModule(env, exports);
}

NODE_API_MODULE(ioreactor, InitAll)
