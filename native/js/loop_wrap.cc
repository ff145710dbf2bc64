// Event-loop integration: when Node's libuv loop sees the selector's kernel fd
// readable, run select(0) into the JavaScript-owned buffer and make one callback
// per batch inside a callback scope, so Promise continuations run after each batch.
#include "loop_wrap.h"

#include <errno.h>

#include <cmath>

#include "../core/selector.h"
#include "addon_data.h"
#include "js_errors.h"
#include "selector_wrap.h"

namespace ioreactor {
namespace js {

// Events handed to JavaScript per callback. Level-triggered readiness left over
// wakes the uv_poll again on the next loop iteration, so Node's own I/O and
// timers get their turn in between.
constexpr int kMaxBatch = 1024;

struct LoopHandles {
  uv_poll_t poll;
  uv_timer_t timer;
  LoopWrap* owner;
  AddonData* teardown_data;  // set when closed by the env cleanup hook
  int open;
};

namespace {

void OnHandleClosed(uv_handle_t* handle) {
  LoopHandles* handles = static_cast<LoopHandles*>(handle->data);
  if (--handles->open > 0) return;
  AddonData* data = handles->teardown_data;
  delete handles;
  if (data != nullptr && --data->closing_handles == 0 && data->cleanup_handle != nullptr) {
    napi_async_cleanup_hook_handle cleanup = data->cleanup_handle;
    data->cleanup_handle = nullptr;
    napi_remove_async_cleanup_hook(cleanup);
  }
}

void PollCallback(uv_poll_t* handle, int status, int events) {
  LoopHandles* handles = static_cast<LoopHandles*>(handle->data);
  if (handles->owner != nullptr) handles->owner->OnPoll(status);
}

void TimerCallback(uv_timer_t* handle) {
  LoopHandles* handles = static_cast<LoopHandles*>(handle->data);
  if (handles->owner != nullptr) handles->owner->OnTimer();
}

}  // namespace

Napi::Function LoopWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeLoop",
                     {
                         InstanceMethod<&LoopWrap::SetIoActive>("setIoActive"),
                         InstanceMethod<&LoopWrap::Ref>("ref"),
                         InstanceMethod<&LoopWrap::Unref>("unref"),
                         InstanceMethod<&LoopWrap::ArmTimer>("armTimer"),
                         InstanceMethod<&LoopWrap::DisarmTimer>("disarmTimer"),
                         InstanceMethod<&LoopWrap::Close>("close"),
                     });
}

LoopWrap::LoopWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<LoopWrap>(info), data_(GetAddonData(info.Env())) {
  Napi::Env env = info.Env();
  if (data_ == nullptr || data_->tearing_down) {
    ThrowInvalidArgument(env, "the environment is shutting down");
    return;
  }
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsFunction() || !info[2].IsFunction()) {
    ThrowInvalidArgument(env, "Loop(selector, onReady, onTimer)");
    return;
  }
  Napi::Object selector = info[0].As<Napi::Object>();
  // instanceof alone is not enough: a Proxy of a Selector, or an object whose
  // prototype is one, passes it yet wraps nothing. Only an object napi_unwrap
  // accepts is a real one; the instanceof check (first, so an object wrapped by
  // another class is never unwrapped as a SelectorWrap) may run a Proxy trap,
  // which is fine as no pointer is held yet.
  void* wrapped = nullptr;
  if (data_->selector_constructor.IsEmpty() ||
      !selector.InstanceOf(data_->selector_constructor.Value()) || env.IsExceptionPending() ||
      napi_unwrap(env, selector, &wrapped) != napi_ok || wrapped == nullptr) {
    if (!env.IsExceptionPending()) ThrowInvalidArgument(env, "selector must be a native Selector");
    return;
  }
  selector_ = static_cast<SelectorWrap*>(wrapped);
  core::Selector* core = selector_->selector();
  if (core == nullptr || core->Fileno() < 0) {
    ThrowInvalidArgument(env, "the selector must be open and have a pollable kernel fd");
    return;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    ThrowSystemError(env, -EINVAL, "napi_get_uv_event_loop");
    return;
  }
  selector_ref_ = Napi::Persistent(selector);
  LoopHandles* handles = new LoopHandles();
  handles->owner = this;
  handles->teardown_data = nullptr;
  handles->open = 0;
  int err = uv_poll_init(loop, &handles->poll, core->Fileno());
  if (err != 0) {
    delete handles;
    ThrowSystemError(env, err, "uv_poll_init");
    return;
  }
  handles->poll.data = handles;
  handles->open = 1;
  uv_timer_init(loop, &handles->timer);
  handles->timer.data = handles;
  handles->open = 2;
  handles_ = handles;
  err = uv_poll_start(&handles->poll, UV_READABLE, PollCallback);
  if (err != 0) {
    CloseHandles(false);
    ThrowSystemError(env, err, "uv_poll_start");
    return;
  }
  on_ready_ = Napi::Persistent(info[1].As<Napi::Function>());
  on_timer_ = Napi::Persistent(info[2].As<Napi::Function>());
  context_ = new Napi::AsyncContext(env, "ioreactor.EventLoop");
  UpdateRefs();
  // An open loop owns live libuv handles, so it must not be collected until
  // close() (or environment teardown) releases them.
  Napi::ObjectWrap<LoopWrap>::Ref();
  data_->loops.insert(this);
}

LoopWrap::~LoopWrap() {
  if (data_ != nullptr) data_->loops.erase(this);
  CloseHandles(false);
  delete context_;
}

void LoopWrap::CloseHandles(bool teardown) {
  LoopHandles* handles = handles_;
  if (handles == nullptr) return;
  handles_ = nullptr;
  handles->owner = nullptr;
  if (teardown && data_ != nullptr) {
    handles->teardown_data = data_;
    data_->closing_handles++;
  }
  uv_poll_stop(&handles->poll);
  uv_timer_stop(&handles->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&handles->poll), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&handles->timer), OnHandleClosed);
}

void LoopWrap::ReleaseJs() {
  on_ready_.Reset();
  on_timer_.Reset();
  selector_ref_.Reset();
  selector_ = nullptr;
  if (callback_depth_ == 0) {
    delete context_;
    context_ = nullptr;
  }
}

void LoopWrap::UpdateRefs() {
  if (handles_ == nullptr) return;
  if (refed_ && io_active_) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  }
  if (refed_) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handles_->timer));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->timer));
  }
}

void LoopWrap::Invoke(Napi::FunctionReference& callback,
                      const std::initializer_list<napi_value>& args) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  ++callback_depth_;
  callback.MakeCallback(Value(), args, *context_);
  // The callback may have closed the loop: the context it ran in goes now.
  if (--callback_depth_ == 0 && handles_ == nullptr) {
    delete context_;
    context_ = nullptr;
  }
  if (env.IsExceptionPending()) {
    // The JavaScript dispatcher catches callback errors itself; anything that
    // still escapes is reported the way Node reports an error thrown by one of
    // its own callbacks.
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

void LoopWrap::OnPoll(int status) {
  if (selector_ == nullptr) return;
  core::Selector* core = selector_->selector();
  if (core == nullptr) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  int32_t* buffer;
  int capacity;
  int n = status;
  if (!selector_->EventBuffer(env, &buffer, &capacity)) {
    // The event buffer was detached behind the loop's back. Level-triggered
    // readiness would wake us again at once, forever: stop polling and report it.
    uv_poll_stop(&handles_->poll);
    n = -EFAULT;
  } else if (status == 0) {
    n = core->Select(0, buffer, capacity < kMaxBatch ? capacity : kMaxBatch);
    if (n == 0) return;
  }
  Invoke(on_ready_, {Napi::Number::New(env, n)});
}

void LoopWrap::OnTimer() {
  timer_armed_ = false;
  Invoke(on_timer_, {});
}

Napi::Value LoopWrap::SetIoActive(const Napi::CallbackInfo& info) {
  io_active_ = info.Length() > 0 && info[0].ToBoolean().Value();
  UpdateRefs();
  return info.Env().Undefined();
}

Napi::Value LoopWrap::Ref(const Napi::CallbackInfo& info) {
  refed_ = true;
  UpdateRefs();
  return info.Env().Undefined();
}

Napi::Value LoopWrap::Unref(const Napi::CallbackInfo& info) {
  refed_ = false;
  UpdateRefs();
  return info.Env().Undefined();
}

Napi::Value LoopWrap::ArmTimer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowInvalidArgument(env, "delay must be a number");
    return env.Undefined();
  }
  if (handles_ == nullptr) return env.Undefined();
  double delay = info[0].As<Napi::Number>().DoubleValue();
  if (!(delay > 0)) delay = 0;  // NaN and negatives: due now
  // libuv timers have millisecond resolution; round up so a timer never fires
  // before its deadline.
  delay = std::ceil(delay);
  const uint64_t ms = delay > 9007199254740991.0 ? UINT64_C(9007199254740991) : static_cast<uint64_t>(delay);
  uv_timer_start(&handles_->timer, TimerCallback, ms, 0);
  timer_armed_ = true;
  return env.Undefined();
}

Napi::Value LoopWrap::DisarmTimer(const Napi::CallbackInfo& info) {
  if (handles_ != nullptr && timer_armed_) uv_timer_stop(&handles_->timer);
  timer_armed_ = false;
  return info.Env().Undefined();
}

Napi::Value LoopWrap::Close(const Napi::CallbackInfo& info) {
  if (handles_ != nullptr) {
    CloseHandles(false);
    if (data_ != nullptr) data_->loops.erase(this);
    ReleaseJs();
    Napi::ObjectWrap<LoopWrap>::Unref();
  }
  return info.Env().Undefined();
}

}  // namespace js
}  // namespace ioreactor
