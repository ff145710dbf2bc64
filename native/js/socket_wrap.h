// ioreactor/sys socket calls exported to JavaScript.
#ifndef IOREACTOR_NATIVE_JS_SOCKET_WRAP_H_
#define IOREACTOR_NATIVE_JS_SOCKET_WRAP_H_

#include <napi.h>

namespace ioreactor {
namespace js {

/// Adds the socket functions and constants to `exports`.
void InitSockets(Napi::Env env, Napi::Object exports);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_SOCKET_WRAP_H_
