#!/usr/bin/env bash
# Configures and builds carebridge into BUILD_DIR (default ./build).
# Extra arguments go to cmake's configure step, e.g. -DCAREBRIDGE_SANITIZE=ON.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja "${launcher[@]}" "$@" >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
