// ioreactor/sys: raw fd syscalls exported to JavaScript.
#ifndef IOREACTOR_NATIVE_JS_SYS_WRAP_H_
#define IOREACTOR_NATIVE_JS_SYS_WRAP_H_

#include <napi.h>

namespace ioreactor {
namespace js {

/// Adds the sys functions to `exports`.
void InitSys(Napi::Env env, Napi::Object exports);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_SYS_WRAP_H_
