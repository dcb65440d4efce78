#!/usr/bin/env bash
# Installs what is needed, builds everything and runs the whole test suite
# (unit, integration over real gRPC, end to end against the server binary,
# and each a second time against PostgreSQL where it runs on both engines),
# built once, with AddressSanitizer and UndefinedBehaviorSanitizer.
# SANITIZE=0 runs the suite on the development build instead (quicker to
# rebuild after a change); BUILD_DIR and ASAN_BUILD_DIR choose the folders.
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
# promtool checks and unit-tests the alerting rules in deploy/prometheus
# (tests/deploy/check_alert_rules.py). It is taken out of Debian's
# prometheus package without installing it: installing would start a
# Prometheus server where nothing stops services starting.
if ! command -v promtool >/dev/null; then
  apt-get update -qq
  deb_dir=$(mktemp -d) && chmod 755 "$deb_dir"
  (cd "$deb_dir" && apt-get download -qq prometheus &&
    dpkg-deb -x prometheus_*.deb root &&
    install -m 0755 root/usr/bin/promtool /usr/local/bin/promtool)
  rm -rf "$deb_dir"
fi
for dir in tests/fhir clients/node tests/console; do
  npm ci --prefix "$root/$dir" --no-audit --no-fund --loglevel=error
done

if [ "${SANITIZE:-1}" = 0 ]; then
  build=${BUILD_DIR:-$root/build}
  echo "=== build and test ($build)"
  BUILD_DIR=$build "$root/deploy/local/build.sh"
else
  build=${ASAN_BUILD_DIR:-$root/build-asan}
  echo "=== build and test with ASan+UBSan ($build)"
  # One build for the whole suite, on both engines: the plain -O2 build
  # and its run beside this one took the test command to 44 minutes on 2
  # cores, two thirds of it compiling. The libraries as a unity build with
  # one precompiled header for them and one for the tests (as the quick
  # start's build; cmake/unity_build.cmake, cmake/precompiled_headers.cmake):
  # the same code under the sanitizers for less compile time. Every source
  # including what it uses is checked by the development build
  # (deploy/local/build.sh, SANITIZE=0). The benchmark is built here too,
  # so a change that breaks it fails the test command (about a minute).
  BUILD_DIR=$build "$root/deploy/local/build.sh" -DCAREBRIDGE_SANITIZE=ON \
    -DCAREBRIDGE_BUILD_BENCHMARKS=ON -DCAREBRIDGE_UNITY_BUILD=ON \
    -DCAREBRIDGE_PRECOMPILED_HEADERS=ON
fi
ctest --test-dir "$build" -j2 --output-on-failure --timeout 600
