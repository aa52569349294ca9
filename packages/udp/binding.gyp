{
  # The native half of @twamp/udp (see native/udp_socket.h). Built at install by
  # scripts/install.mjs, which runs node-gyp against the running node's own headers.
  "targets": [
    {
      "target_name": "twamp_udp",
      "sources": ["native/twamp_udp.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        # Node-API 8: napi_add_async_cleanup_hook (Node.js >= 14.17 / 16; we require 20.19).
        "NAPI_VERSION=8",
        # No C++ exceptions anywhere: errors cross into JavaScript as return codes or as
        # pending JavaScript exceptions, never as C++ unwinding through Node-API frames.
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        # A method called while a worker is being terminated cannot throw; without this,
        # node-addon-api turns that into a fatal error (abort) instead of returning quietly.
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
      ],
      "cflags!": ["-fexceptions"],
      "cflags_cc!": ["-fexceptions", "-std=gnu++17", "-std=gnu++20"],
      # cflags apply to C++ too; cflags_cc only to C++.
      "cflags": ["-Wall", "-Wextra", "-fno-exceptions"],
      "cflags_cc": ["-std=c++17"],
      "configurations": {
        # Node's common.gypi builds Release with -O3; -O2 is plenty for a syscall-bound loop
        # and keeps the code size down.
        "Release": {
          "cflags!": ["-O3"],
          "cflags_cc!": ["-O3"],
          "cflags": ["-O2"],
        },
      },
      "conditions": [
        ["OS=='linux'", {
          # The socket itself is Linux only; elsewhere twamp_udp.cc builds a module that
          # throws "unsupported" at load, and the loader falls back to node:dgram.
          "sources": ["native/udp_socket.cc", "native/net_util.cc"],
        }],
      ],
    },
  ],
}
