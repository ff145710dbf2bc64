// Error construction and argument checks shared by the native wrappers.
#include "js_errors.h"

#include <limits.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

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

bool GetViewBytes(napi_env env, napi_value value, ViewBytes* out) {
  bool is_typed_array = false;
  bool is_data_view = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok) return false;
  if (!is_typed_array && (napi_is_dataview(env, value, &is_data_view) != napi_ok || !is_data_view)) {
    return false;
  }
  void* data = nullptr;
  size_t len = 0;
  napi_value buffer = nullptr;
  napi_status status;
  if (is_typed_array) {
    napi_typedarray_type type;
    size_t elements = 0;
    size_t byte_offset = 0;
    status = napi_get_typedarray_info(env, value, &type, &elements, &data, &buffer, &byte_offset);
    // Element count times element size: the byte length napi does not report.
    static constexpr size_t kElementSize[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 2};
    const size_t index = static_cast<size_t>(type);
    if (status == napi_ok) {
      if (index >= sizeof(kElementSize) / sizeof(kElementSize[0])) return false;
      len = elements * kElementSize[index];
    }
  } else {
    size_t byte_offset = 0;
    status = napi_get_dataview_info(env, value, &len, &data, &buffer, &byte_offset);
  }
  if (status != napi_ok) return false;
  // A SharedArrayBuffer cannot be detached; napi answers false for it.
  bool detached = false;
  if (buffer != nullptr && napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok) {
    detached = false;
  }
  out->data = static_cast<uint8_t*>(data);
  out->len = detached ? 0 : len;
  out->detached = detached;
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t index, uint8_t** data, size_t* len) {
  Napi::Env env = info.Env();
  ViewBytes view;
  if (index >= info.Length() || !GetViewBytes(env, info[index], &view)) {
    ThrowInvalidArgument(env, "buffer must be a Buffer, TypedArray or DataView");
    return false;
  }
  if (view.detached) {
    ThrowInvalidArgument(env, "buffer is detached (its ArrayBuffer was transferred)");
    return false;
  }
  const int64_t size = static_cast<int64_t>(view.len);
  int64_t offset = 0;
  if (info.Length() > index + 1 && !info[index + 1].IsUndefined()) {
    if (!ArgInt(info, index + 1, 0, size, "offset", &offset)) return false;
  }
  int64_t length = size - offset;
  if (info.Length() > index + 2 && !info[index + 2].IsUndefined()) {
    if (!ArgInt(info, index + 2, 0, size - offset, "length", &length)) return false;
  }
  // An empty range may have no memory behind it (data can be null): hand the
  // syscall a length of 0 and the base pointer untouched.
  *data = length == 0 ? view.data : view.data + offset;
  *len = static_cast<size_t>(length);
  return true;
}

bool IovecArg::Read(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  const char* kNotViews = "buffers must be an array of Buffers, TypedArrays or DataViews";
  if (info.Length() <= index || !info[index].IsArray()) {
    ThrowInvalidArgument(env, kNotViews);
    return false;
  }
  Napi::Array buffers = info[index].As<Napi::Array>();
  uint32_t count = buffers.Length();
  if (count > IOV_MAX) count = IOV_MAX;
  std::vector<napi_value> items(count);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value item = buffers.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!item.IsTypedArray() && !item.IsDataView()) {
      ThrowInvalidArgument(env, kNotViews);
      return false;
    }
    items[i] = item;
  }
  if (count > 64) {
    heap_.reset(new struct iovec[count]);
    iov_ = heap_.get();
  }
  for (uint32_t i = 0; i < count; ++i) {
    ViewBytes view;
    if (!GetViewBytes(env, items[i], &view)) {
      ThrowInvalidArgument(env, kNotViews);
      return false;
    }
    if (view.detached) {
      ThrowInvalidArgument(env, "a buffer in buffers is detached (its ArrayBuffer was transferred)");
      return false;
    }
    iov_[i].iov_base = view.data;
    iov_[i].iov_len = view.len;
  }
  count_ = static_cast<int>(count);
  return true;
}

}  // namespace js
}  // namespace ioreactor
