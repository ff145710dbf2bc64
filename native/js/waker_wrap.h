// Module functions over core::Waker: wake any waker by id (from any thread), and
// the stand-alone wakers an event loop watches for its threadsafe channels.
#ifndef IOREACTOR_NATIVE_JS_WAKER_WRAP_H_
#define IOREACTOR_NATIVE_JS_WAKER_WRAP_H_

#include <napi.h>

namespace ioreactor {
namespace js {

struct AddonData;

void InitWakers(Napi::Env env, Napi::Object exports);
/// Closes every stand-alone waker of an environment that is shutting down.
void CloseEnvWakers(AddonData* data);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_WAKER_WRAP_H_
