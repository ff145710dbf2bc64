// The event loop's native half: one uv_poll_t on the selector's kernel fd and one
// uv_timer_t, both in the Node environment's own libuv loop (DESIGN.md decision 5).
#ifndef IOREACTOR_NATIVE_JS_LOOP_WRAP_H_
#define IOREACTOR_NATIVE_JS_LOOP_WRAP_H_

#include <napi.h>
#include <uv.h>

namespace ioreactor {
namespace js {

struct AddonData;
class SelectorWrap;
struct LoopHandles;

class LoopWrap : public Napi::ObjectWrap<LoopWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  /// new Loop(selector, onReady(count), onTimer())
  explicit LoopWrap(const Napi::CallbackInfo& info);
  ~LoopWrap() override;

  /// Stops and closes the libuv handles (asynchronously; memory is freed in the
  /// close callback). `teardown` counts the close toward the env cleanup hook.
  void CloseHandles(bool teardown);
  void Detach() { data_ = nullptr; }

  void OnPoll(int status);
  void OnTimer();

 private:
  Napi::Value SetIoActive(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value ArmTimer(const Napi::CallbackInfo& info);
  Napi::Value DisarmTimer(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void UpdateRefs();
  /// Drops every reference to JavaScript (callbacks, selector, async context) so
  /// a closed loop and whatever its callbacks close over can be collected.
  void ReleaseJs();
  void Invoke(Napi::FunctionReference& callback, const std::initializer_list<napi_value>& args);

  AddonData* data_;
  SelectorWrap* selector_ = nullptr;
  Napi::ObjectReference selector_ref_;
  Napi::FunctionReference on_ready_;
  Napi::FunctionReference on_timer_;
  Napi::AsyncContext* context_ = nullptr;
  LoopHandles* handles_ = nullptr;
  bool refed_ = true;
  bool io_active_ = false;
  bool timer_armed_ = false;
  // Depth of calls into JavaScript in progress: the async context they run in
  // must outlive them even if a callback closes the loop.
  int callback_depth_ = 0;
};

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_LOOP_WRAP_H_
