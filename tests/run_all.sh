#!/usr/bin/env bash
# Installs what is needed, builds everything and runs the whole test suite
# (unit, integration over real gRPC, end to end against the server binary),
# then the same suite again built with AddressSanitizer and
# UndefinedBehaviorSanitizer. SANITIZE=0 skips the sanitizer pass (quicker
# local runs); BUILD_DIR and ASAN_BUILD_DIR choose the build folders.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/local/install-deps.sh"
# Node.js runs the independent FHIR validator (tests/fhir, versions pinned
# in its package-lock.json) that tests/e2e/fhir.sh checks every resource
# with ...
if ! command -v npm >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm
fi
# ... and the Node.js client example (clients/node), and the web console's
# browser tests (tests/console: puppeteer-core driving Debian's chromium,
# axe-core; no browser is downloaded).
if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
    fonts-dejavu-core
fi
# lld links the suite's binaries in a third of GNU ld's time (CMakeLists.txt
# uses it when it is there).
if ! command -v ld.lld >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    lld
fi
for dir in tests/fhir clients/node tests/console; do
  npm ci --prefix "$root/$dir" --no-audit --no-fund --loglevel=error
done

echo "=== build and test (${BUILD_DIR:-$root/build})"
BUILD_DIR=${BUILD_DIR:-$root/build} "$root/deploy/local/build.sh"
ctest --test-dir "${BUILD_DIR:-$root/build}" -j2 --output-on-failure \
  --timeout 600

if [ "${SANITIZE:-1}" != 0 ]; then
  asan=${ASAN_BUILD_DIR:-$root/build-asan}
  echo "=== build and test with ASan+UBSan ($asan)"
  # The libraries as a unity build, with one precompiled header for them and
  # one for the tests (as the quick start's build; cmake/unity_build.cmake,
  # cmake/precompiled_headers.cmake): the same code under the sanitizers for
  # less compile time; the plain pass above keeps the development build,
  # which checks that every source includes what it uses.
  BUILD_DIR=$asan "$root/deploy/local/build.sh" -DCAREBRIDGE_SANITIZE=ON \
    -DCAREBRIDGE_BUILD_BENCHMARKS=OFF -DCAREBRIDGE_UNITY_BUILD=ON \
    -DCAREBRIDGE_PRECOMPILED_HEADERS=ON
  # The suite's second run against PostgreSQL (label postgresql) runs once,
  # in the plain pass: it exercises the same code on another engine, and
  # the PostgreSQL engine's own tests stay in this pass.
  ctest --test-dir "$asan" -j2 --output-on-failure --timeout 600 \
    -LE postgresql
fi
