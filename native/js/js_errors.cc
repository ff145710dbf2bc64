// Error construction and argument checks shared by the native wrappers.
#include "js_errors.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "addon_data.h"

namespace ioreactor {
namespace js {

void ThrowSystemError(Napi::Env env, int err, const char* syscall) {
  AddonData* data = GetAddonData(env);
  if (data != nullptr && !data->system_error.IsEmpty()) {
    Napi::Value error = data->system_error.New(
        {Napi::Number::New(env, err), Napi::String::New(env, syscall)});
    if (env.IsExceptionPending()) return;
    Napi::Error(env, error).ThrowAsJavaScriptException();
    return;
  }
  // init() was not called (the binary loaded on its own): a plain Error that
  // still carries the fields callers test.
  char message[256];
  std::snprintf(message, sizeof(message), "%s: %s", syscall, std::strerror(-err));
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.ThrowAsJavaScriptException();
}

void ThrowInvalidArgument(Napi::Env env, const char* message) {
  AddonData* data = GetAddonData(env);
  if (data != nullptr && !data->invalid_argument_error.IsEmpty()) {
    Napi::Value error = data->invalid_argument_error.New({Napi::String::New(env, message)});
    if (env.IsExceptionPending()) return;
    Napi::Error(env, error).ThrowAsJavaScriptException();
    return;
  }
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "IOR_ERR_INVALID_ARG"));
  error.ThrowAsJavaScriptException();
}

bool ArgInt(const Napi::CallbackInfo& info, size_t index, int64_t min, int64_t max,
            const char* name, int64_t* out) {
  char message[160];
  if (index >= info.Length() || !info[index].IsNumber()) {
    std::snprintf(message, sizeof(message), "%s must be a number", name);
    ThrowInvalidArgument(info.Env(), message);
    return false;
  }
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::trunc(value) != value ||
      value < static_cast<double>(min) || value > static_cast<double>(max)) {
    std::snprintf(message, sizeof(message),
                  "%s must be an integer from %lld to %lld", name,
                  static_cast<long long>(min), static_cast<long long>(max));
    ThrowInvalidArgument(info.Env(), message);
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

bool ArgFd(const Napi::CallbackInfo& info, size_t index, int* fd) {
  int64_t value;
  if (!ArgInt(info, index, 0, INT32_MAX, "fd", &value)) return false;
  *fd = static_cast<int>(value);
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t index, uint8_t** data, size_t* len) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !(info[index].IsTypedArray() || info[index].IsDataView())) {
    ThrowInvalidArgument(env, "buffer must be a Buffer, TypedArray or DataView");
    return false;
  }
  uint8_t* base;
  size_t size;
  if (info[index].IsTypedArray()) {
    Napi::TypedArray array = info[index].As<Napi::TypedArray>();
    base = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    size = array.ByteLength();
  } else {
    Napi::DataView view = info[index].As<Napi::DataView>();
    base = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    size = view.ByteLength();
  }
  int64_t offset = 0;
  if (info.Length() > index + 1 && !info[index + 1].IsUndefined()) {
    if (!ArgInt(info, index + 1, 0, static_cast<int64_t>(size), "offset", &offset)) return false;
  }
  int64_t length = static_cast<int64_t>(size) - offset;
  if (info.Length() > index + 2 && !info[index + 2].IsUndefined()) {
    if (!ArgInt(info, index + 2, 0, static_cast<int64_t>(size) - offset, "length", &length)) return false;
  }
  *data = base + offset;
  *len = static_cast<size_t>(length);
  return true;
}

}  // namespace js
}  // namespace ioreactor
