#!/usr/bin/env bash
# Configures and builds carebridge into BUILD_DIR (default ./build).
# Extra arguments go to cmake's configure step, e.g. -DCAREBRIDGE_SANITIZE=ON.
# A folder the quick start configured (start.sh: a unity build with a
# precompiled header, without debug information) becomes a development build
# again (RelWithDebInfo, one translation unit per source) unless the
# arguments say otherwise.
# TARGETS: what to build, space-separated (default: everything, tests and
# benchmark included), e.g. TARGETS="carebridge-server carectl".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout and no working directory in the hash, so
  # another clone of the same sources (CI's) reuses what was compiled here.
  # The sloppiness lets ccache keep compiles that use a precompiled header
  # (the quick start's, cmake/precompiled_headers.cmake); no source uses
  # __DATE__ or __TIME__.
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true \
    CCACHE_SLOPPINESS=pch_defines,time_macros
fi
config=()
if grep -qs '^CAREBRIDGE_UNITY_BUILD:BOOL=ON$' "$build/CMakeCache.txt"; then
  config=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAREBRIDGE_UNITY_BUILD=OFF
          -DCAREBRIDGE_PRECOMPILED_HEADERS=OFF)
fi
cmake -S "$root" -B "$build" -G Ninja "${launcher[@]}" "${config[@]}" "$@" \
  >/dev/null
targets=()
for target in ${TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build" -j"${JOBS:-2}" "${targets[@]}"
