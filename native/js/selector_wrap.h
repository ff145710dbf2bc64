// The JavaScript face of core::Selector: argument checks, errors, the event buffer.
#ifndef IOREACTOR_NATIVE_JS_SELECTOR_WRAP_H_
#define IOREACTOR_NATIVE_JS_SELECTOR_WRAP_H_

#include <napi.h>

#include <memory>

#include "../core/selector.h"

namespace ioreactor {
namespace js {

struct AddonData;

class SelectorWrap : public Napi::ObjectWrap<SelectorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit SelectorWrap(const Napi::CallbackInfo& info);
  ~SelectorWrap() override;

  /// Releases the kernel object; called by close() and the env cleanup hook.
  void CloseNow();
  /// Forgets the addon data (it is going away before this object).
  void Detach() { data_ = nullptr; }

  /// For the event loop: the open core selector (null once closed).
  core::Selector* selector() { return closed_ ? nullptr : selector_.get(); }
  /// The JavaScript-owned (fd, mask) buffer and its capacity in pairs, looked up
  /// afresh from the Int32Array on every call: JavaScript may have detached or
  /// shrunk its ArrayBuffer since setBuffer(), so no pointer is kept across
  /// calls. Needs an open HandleScope; runs no JavaScript. False if there is no
  /// usable buffer.
  bool EventBuffer(Napi::Env env, int32_t** data, int* capacity);

 private:
  Napi::Value Register(const Napi::CallbackInfo& info);
  Napi::Value Modify(const Napi::CallbackInfo& info);
  Napi::Value Unregister(const Napi::CallbackInfo& info);
  Napi::Value Select(const Napi::CallbackInfo& info);
  Napi::Value SetBuffer(const Napi::CallbackInfo& info);
  Napi::Value Fileno(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value EintrRetries(const Napi::CallbackInfo& info);
  Napi::Value OpenWaker(const Napi::CallbackInfo& info);
  Napi::Value SupportedFlags(const Napi::CallbackInfo& info);
#ifdef IOR_TEST_HOOKS
  Napi::Value InjectFault(const Napi::CallbackInfo& info);
#endif

  bool CheckOpen(Napi::Env env);
  const char* CtlSyscall() const;
  const char* WaitSyscall() const;

  AddonData* data_;
  std::unique_ptr<core::Selector> selector_;
  Napi::ObjectReference buffer_ref_;
  // A negative errno the next kernel register/modify fails with; only test
  // builds (IOR_TEST_HOOKS) can set it.
  int pending_fault_ = 0;
  bool closed_ = false;
};

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_SELECTOR_WRAP_H_
