// Per-environment state of the addon (one per main thread and per worker).
#ifndef IOREACTOR_NATIVE_JS_ADDON_DATA_H_
#define IOREACTOR_NATIVE_JS_ADDON_DATA_H_

#include <napi.h>

#include <unordered_set>

namespace ioreactor {
namespace js {

class SelectorWrap;

struct AddonData {
  // Error classes defined in lib/errors.ts, handed over by init().
  Napi::FunctionReference system_error;
  Napi::FunctionReference invalid_argument_error;
  Napi::FunctionReference selector_constructor;
  // Open selectors, closed by the environment cleanup hook so a worker that
  // exits with selectors open leaks no fds.
  std::unordered_set<SelectorWrap*> selectors;
  bool tearing_down = false;
};

AddonData* GetAddonData(Napi::Env env);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_ADDON_DATA_H_
