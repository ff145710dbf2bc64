// Throwing the library's JavaScript error classes from native code.
#ifndef IOREACTOR_NATIVE_JS_JS_ERRORS_H_
#define IOREACTOR_NATIVE_JS_JS_ERRORS_H_

#include <napi.h>
#include <sys/uio.h>

#include <memory>

namespace ioreactor {
namespace js {

/// Throws SystemError(err, syscall) where err is a negative errno.
void ThrowSystemError(Napi::Env env, int err, const char* syscall);

/// Throws InvalidArgumentError(message).
void ThrowInvalidArgument(Napi::Env env, const char* message);

/// Reads an integer fd argument (0 <= fd <= INT32_MAX). On failure throws
/// InvalidArgumentError and returns false.
bool ArgFd(const Napi::CallbackInfo& info, size_t index, int* fd);

/// Reads an integral number argument in [min, max]. Throws and returns false
/// otherwise.
bool ArgInt(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max,
            const char* name, int64_t* out);

/// Where a TypedArray's or DataView's bytes are. `data` may be null when `len`
/// is 0 (an empty or detached view); never do arithmetic on it then.
struct ViewBytes {
  uint8_t* data;
  size_t len;
  bool detached;
};

/// Reads the bytes of `value` if it is a TypedArray or DataView. The pointer comes
/// from the view itself (already offset, and valid for a SharedArrayBuffer too).
/// Runs no JavaScript. Returns false if `value` is not such a view.
bool GetViewBytes(napi_env env, napi_value value, ViewBytes* out);

/// The array of views at argument `index` (of sendv and writev) as an iovec list. At
/// most IOV_MAX buffers are taken (beyond that the kernel refuses the call; the partial
/// count tells the caller where to resume). Every element is read first — which can run
/// JavaScript (an index getter, a Proxy, a getter on Array.prototype for a hole) that
/// detaches or shrinks another element's buffer — and only then are the pointers taken,
/// with no JavaScript in between (DESIGN.md decision 12). A detached view, or anything
/// but a TypedArray or DataView, throws InvalidArgumentError.
class IovecArg {
 public:
  bool Read(const Napi::CallbackInfo& info, size_t index);
  struct iovec* iov() { return iov_; }
  int count() const { return count_; }

 private:
  struct iovec stack_[64];
  std::unique_ptr<struct iovec[]> heap_;
  struct iovec* iov_ = stack_;
  int count_ = 0;
};

/// Reads (view[, offset[, length]]) starting at `index`: the byte range of a
/// TypedArray or DataView. Throws InvalidArgumentError and returns false if the
/// value is not a view, its buffer is detached, or the range does not fit.
/// Runs no JavaScript, but the pointer is only good until JavaScript runs: read
/// every other argument (above all objects, whose getters may detach or shrink
/// the buffer) before this one, and make the syscall right after.
bool ArgBytes(const Napi::CallbackInfo& info, size_t index, uint8_t** data, size_t* len);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_JS_ERRORS_H_
