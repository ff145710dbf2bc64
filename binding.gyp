{
  "variables": {
    "openssl_fips": ""
  },
  "targets": [
    {
      "target_name": "ioreactor",
      "sources": [
        "native/binding.cc",
        "native/js/js_errors.cc",
        "native/js/loop_wrap.cc",
        "native/js/selector_wrap.cc",
        "native/js/socket_wrap.cc",
        "native/js/sys_wrap.cc",
        "native/js/waker_wrap.cc",
        "native/core/clock.cc",
        "native/core/fd_ops.cc",
        "native/core/selector.cc",
        "native/core/selector_epoll.cc",
        "native/core/selector_kqueue.cc",
        "native/core/selector_poll.cc",
        "native/core/selector_select.cc",
        "native/core/socket_ops.cc",
        "native/core/waker.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17",
        "-std=gnu++20"
      ],
      "cflags": [
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fno-exceptions",
        "-fvisibility=hidden"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15",
        "OTHER_CFLAGS": [
          "-Wall",
          "-Wextra",
          "-Wno-unused-parameter"
        ]
      }
    }
  ]
}
