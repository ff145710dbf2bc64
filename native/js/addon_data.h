// Per-environment state of the addon (one per main thread and per worker).
#ifndef IOREACTOR_NATIVE_JS_ADDON_DATA_H_
#define IOREACTOR_NATIVE_JS_ADDON_DATA_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "../core/waker.h"

namespace ioreactor {
namespace js {

class LoopWrap;
class SelectorWrap;

struct AddonData {
  // Error classes defined in lib/errors.ts, handed over by init().
  Napi::FunctionReference system_error;
  Napi::FunctionReference invalid_argument_error;
  Napi::FunctionReference selector_constructor;
  Napi::FunctionReference loop_constructor;
  // Open selectors and loops, closed by the environment cleanup hook so a worker
  // that exits with them open leaks no fds and no libuv handles.
  std::unordered_set<SelectorWrap*> selectors;
  std::unordered_set<LoopWrap*> loops;
  // fds handed to ownFd(): closed by the environment cleanup hook, because a
  // worker that exits runs no FinalizationRegistry callbacks.
  std::unordered_set<int> owned_fds;
  // Stand-alone wakers opened by openWaker() (the threadsafe channel's), by id:
  // closed by closeWaker() or by the environment cleanup hook.
  std::unordered_map<uint64_t, std::shared_ptr<core::Waker>> wakers;
  // recv(fd, size) receives here and copies only the bytes that arrived, so a
  // call that ends in EAGAIN allocates nothing. Grows to the largest size asked
  // for, up to kMaxRecvScratch.
  static constexpr size_t kMaxRecvScratch = 1 << 20;
  std::unique_ptr<uint8_t[]> recv_scratch;
  size_t recv_scratch_size = 0;
  bool tearing_down = false;
  // The async cleanup hook completes once every libuv handle it closed has
  // reported back through its close callback.
  int closing_handles = 0;
  napi_async_cleanup_hook_handle cleanup_handle = nullptr;
};

AddonData* GetAddonData(Napi::Env env);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_ADDON_DATA_H_
