// Throwing the library's JavaScript error classes from native code.
#ifndef IOREACTOR_NATIVE_JS_JS_ERRORS_H_
#define IOREACTOR_NATIVE_JS_JS_ERRORS_H_

#include <napi.h>

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

/// Reads (view[, offset[, length]]) starting at `index`: the byte range of a
/// TypedArray or DataView. Throws InvalidArgumentError and returns false if the
/// value is not a view or the range does not fit.
bool ArgBytes(const Napi::CallbackInfo& info, size_t index, uint8_t** data, size_t* len);

}  // namespace js
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_JS_JS_ERRORS_H_
