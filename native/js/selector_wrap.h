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

  /// For the event loop: the open core selector (null once closed) and the
  /// JavaScript-owned (fd, mask) buffer.
  core::Selector* selector() { return closed_ ? nullptr : selector_.get(); }
  int32_t* buffer() { return buffer_; }
  int capacity() const { return capacity_; }

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
  Napi::Value InjectFault(const Napi::CallbackInfo& info);

  bool CheckOpen(Napi::Env env);
  const char* CtlSyscall() const;
  const char* WaitSyscall() const;

  AddonData* data_;
  std::unique_ptr<core::Selector> selector_;
  Napi::ObjectReference buffer_ref_;
  int32_t* buffer_ = nullptr;
  int capacity_ = 0;
  int pending_fault_ = 0;
  bool closed_ = false;
};

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_SELECTOR_WRAP_H_
